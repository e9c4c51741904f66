// Declarations are split at ';' outside parentheses (rgb(1,2,3) keeps its commas); quoting
// and escapes are never interpreted: a declaration that needs them is dropped whole.
#include "core/html/style_subset.hpp"

#include <algorithm>
#include <array>

#include "core/html/css_filter.hpp"

namespace qmilter::html {
namespace {

// Sorted for binary_search.
// "font" too: the sanitizer's own notes reset it (font-size:0 must not hide a link target).
constexpr std::array<std::string_view, 12> kKept = {
    "background", "background-color", "color",      "display",         "font",           "font-size",
    "font-style", "font-weight",      "text-align", "text-decoration", "vertical-align", "visibility"};
static_assert(std::is_sorted(kKept.begin(), kKept.end()));

constexpr std::size_t kMaxValue = 64;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return out;
}

void keep_declaration(std::string& out, std::string_view declaration) {
  const std::size_t colon = declaration.find(':');
  if (colon == std::string_view::npos) return;
  const std::string name = lower(trimmed(declaration.substr(0, colon)));
  const std::string_view value = trimmed(declaration.substr(colon + 1));
  if (!std::binary_search(kKept.begin(), kKept.end(), name)) return;
  if (value.empty() || value.size() > kMaxValue || value.find_first_of("\"'\\") != std::string_view::npos ||
      value.find("/*") != std::string_view::npos) {
    return;
  }
  std::string kept = name + ":" + std::string(value);
  if (!style_is_safe(kept)) return;
  if (!out.empty()) out.push_back(';');
  out.append(kept);
}

}  // namespace

std::string style_subset(std::string_view style) {
  std::string out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= style.size(); ++i) {
    const char c = i < style.size() ? style[i] : ';';
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (c == ';' && (depth == 0 || i == style.size())) {
      keep_declaration(out, style.substr(start, i - start));
      start = i + 1;
      depth = 0;
    }
  }
  return out;
}

}  // namespace qmilter::html
