// The whitelist entry pattern `[a-zA-Z0-9_.+-]*(@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+)?`, checked
// character by character.
#include "core/cli/whitelist_entry_check.hpp"

#include <algorithm>

namespace qmilter::cli {

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_local_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '+' || c == '-'; }
bool is_domain_char(char c) { return is_alnum(c) || c == '-' || c == '.'; }

}  // namespace

std::optional<std::string> whitelist_entry_problem(std::string_view value) {
  if (value.size() > max_whitelist_entry_length) {
    return "it is " + std::to_string(value.size()) + " characters long, at most " +
           std::to_string(max_whitelist_entry_length) + " fit";
  }
  const std::size_t at = value.find('@');
  std::string_view local = value.substr(0, at);
  if (!std::all_of(local.begin(), local.end(), is_local_char)) {
    return std::string("only letters, digits and _.+- may come before the @");
  }
  if (at == std::string_view::npos) return std::nullopt;
  // The domain: a first label without dots, a dot, then at least one more character.
  std::string_view domain = value.substr(at + 1);
  const std::size_t dot = domain.find('.');
  if (!std::all_of(domain.begin(), domain.end(), is_domain_char) || dot == 0 || dot == std::string_view::npos ||
      dot + 1 == domain.size()) {
    return std::string("after the @ must come a domain such as example.org, of letters, digits, - and .");
  }
  return std::nullopt;
}

}  // namespace qmilter::cli
