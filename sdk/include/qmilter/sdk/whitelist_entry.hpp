// What a whitelist entry's sender or recipient may be: "" (anyone), @domain or an address, in
// the pattern pyquarantine checked, at most as long as the table's column. qmilterctl checks
// it before calling a whitelist, and a whitelist checks it again in add(). Header-only, pure.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qmilter::sdk {

// The whitelist table's mailfrom and recipient columns are VARCHAR(255).
inline constexpr std::size_t max_whitelist_entry_length = 255;

// Why `value` (already lower-cased) is not a valid whitelist entry, or nullopt when it is.
// The pattern `[a-zA-Z0-9_.+-]*(@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+)?`, checked in one linear pass:
// a backtracking regex overflowed the stack on long input.
inline std::optional<std::string> whitelist_entry_problem(std::string_view value) {
  const auto is_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  const auto is_local_char = [&](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '+' || c == '-'; };
  const auto is_domain_char = [&](char c) { return is_alnum(c) || c == '-' || c == '.'; };
  if (value.size() > max_whitelist_entry_length) {
    return "it is " + std::to_string(value.size()) + " characters long, at most " +
           std::to_string(max_whitelist_entry_length) + " fit";
  }
  const std::size_t at = value.find('@');
  const std::string_view local = value.substr(0, at);
  if (!std::all_of(local.begin(), local.end(), is_local_char)) {
    return std::string("only letters, digits and _.+- may come before the @");
  }
  if (at == std::string_view::npos) return std::nullopt;
  // The domain: a first label without dots, a dot, then at least one more character.
  const std::string_view domain = value.substr(at + 1);
  const std::size_t dot = domain.find('.');
  if (!std::all_of(domain.begin(), domain.end(), is_domain_char) || dot == 0 || dot == std::string_view::npos ||
      dot + 1 == domain.size()) {
    return std::string("after the @ must come a domain such as example.org, of letters, digits, - and .");
  }
  return std::nullopt;
}

}  // namespace qmilter::sdk
