// The whitelist's address rules (see the header).
#include "entry_address.hpp"

#include <algorithm>
#include "qmilter/sdk/text.hpp"

namespace qmilter::whitelist_db {
namespace {

bool is_local_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '+' ||
         c == '-';
}
bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

bool is_valid_entry(std::string_view value) {
  std::size_t at = value.find('@');
  std::string_view local = value.substr(0, at);
  if (!std::all_of(local.begin(), local.end(), is_local_char)) return false;
  if (at == std::string_view::npos) return true;
  // @[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+ : a first label, a dot, then labels and dots.
  std::string_view domain = value.substr(at + 1);
  std::size_t dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  std::string_view first = domain.substr(0, dot);
  std::string_view rest = domain.substr(dot + 1);
  return std::all_of(first.begin(), first.end(), is_label_char) &&
         std::all_of(rest.begin(), rest.end(), [](char c) { return is_label_char(c) || c == '.'; });
}

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
