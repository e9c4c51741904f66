// libmilter's socket syntax (see the header).
#include "core/config/milter_socket.hpp"

namespace qmilter::core {

std::optional<MilterSocket> parse_milter_socket(std::string_view spec) {
  MilterSocket socket;
  for (std::string_view prefix : {"unix:", "local:"}) {
    if (spec.rfind(prefix, 0) == 0) {
      socket.prefix = prefix;
      socket.path = spec.substr(prefix.size());
      return socket;
    }
  }
  if (!spec.empty() && spec.front() == '/') {
    socket.path = spec;
    return socket;
  }
  for (std::string_view prefix : {"inet:", "inet6:"}) {
    if (spec.rfind(prefix, 0) != 0) continue;
    socket.family = prefix == "inet:" ? MilterSocket::Family::inet : MilterSocket::Family::inet6;
    socket.prefix = prefix;
    const std::string_view rest = spec.substr(prefix.size());
    const std::size_t at = rest.find('@');
    socket.port = rest.substr(0, at);
    if (at != std::string_view::npos) socket.host = rest.substr(at + 1);
    return socket;
  }
  return std::nullopt;
}

}  // namespace qmilter::core
