#include "core/milter/envelope_address.hpp"

#include <algorithm>
#include "qmilter/sdk/text.hpp"

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
  return sdk::ascii_lower(raw);
}

}  // namespace qmilter::core
