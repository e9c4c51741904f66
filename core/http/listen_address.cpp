#include "core/http/listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace qmilter::http {

sdk::Result<ListenAddress> parse_listen_address(const std::string& text) {
  const auto refuse = [&](const std::string& why) {
    return sdk::Error{"web_listen '" + text + "': " + why + " (give host:port, e.g. 127.0.0.1:8025 or [::1]:8025)"};
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return refuse("no port");
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return refuse("the port must be a number from 1 to 65535");
  }
  ListenAddress listen;
  listen.text = text;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&listen.address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6->sin6_addr) != 1) {
      return refuse("'" + host + "' is not an IPv6 address");
    }
    listen.size = sizeof(sockaddr_in6);
    return listen;
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&listen.address);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) {
    return refuse("'" + host + "' is not a numeric IPv4 address (IPv6 goes in brackets)");
  }
  listen.size = sizeof(sockaddr_in);
  return listen;
}

}  // namespace qmilter::http
