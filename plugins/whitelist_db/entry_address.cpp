// The whitelist's address rules (see the header).
#include "entry_address.hpp"

#include <algorithm>

#include "qmilter/sdk/text.hpp"

namespace qmilter::whitelist_db {

std::vector<std::string> candidates_for(const std::string& address) {
  std::vector<std::string> out{""};
  std::size_t at = address.find('@');
  if (at != std::string::npos && at != 0) {
    // Python's "@" + address.split("@")[1]: the text up to a second '@', if any.
    std::size_t next = address.find('@', at + 1);
    out.push_back("@" + address.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
  }
  if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  return out;
}

int field_weight(std::string_view stored) noexcept {
  if (stored.empty()) return 2;
  return stored.front() == '@' ? 1 : 0;
}

std::string strip_batv(std::string_view sender) {
  // prvs=<tag>=<local>@<domain>; the tag is letters and digits only, so a local part that
  // merely starts with "prvs=" and carries no tag stays as it is.
  if (sender.size() < 6 || sdk::ascii_lower(sender.substr(0, 5)) != "prvs=") return std::string(sender);
  std::string_view rest = sender.substr(5);
  std::size_t eq = rest.find('=');
  std::size_t at = rest.find('@');
  if (eq == std::string_view::npos || eq == 0 || (at != std::string_view::npos && eq > at)) return std::string(sender);
  std::string_view tag = rest.substr(0, eq);
  bool alnum = std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
  if (!alnum || eq + 1 >= rest.size() || rest[eq + 1] == '@') return std::string(sender);
  return std::string(rest.substr(eq + 1));
}

}  // namespace qmilter::whitelist_db
