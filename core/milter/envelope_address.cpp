#include "core/milter/envelope_address.hpp"

#include <algorithm>

namespace qmilter::core {

std::string normalise_envelope_address(std::string_view raw) {
  auto first = raw.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  raw.remove_prefix(first);
  raw = raw.substr(0, raw.find_last_not_of(" \t") + 1);
  if (!raw.empty() && raw.front() == '<') {
    auto close = raw.rfind('>');
    raw = raw.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
  }
  std::string address(raw);
  std::transform(address.begin(), address.end(), address.begin(), [](unsigned char c) { return std::tolower(c); });
  return address;
}

}  // namespace qmilter::core
