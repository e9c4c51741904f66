// Only "<![" followed by "if" or "endif" is touched; "<![CDATA[" and anything else is left
// to the parser, which drops or escapes it as before.
#include "core/html/revealed_conditionals.hpp"

#include "qmilter/sdk/text.hpp"

namespace qmilter::html {
namespace {

bool is_conditional_keyword(std::string_view after_bracket) {
  const auto starts_with_word = [&](std::string_view word) {
    if (after_bracket.size() < word.size() || !sdk::ascii_iequals(after_bracket.substr(0, word.size()), word))
      return false;
    const char next = after_bracket.size() > word.size() ? after_bracket[word.size()] : ']';
    return next == ' ' || next == '\t' || next == '\n' || next == ']';
  };
  return starts_with_word("if") || starts_with_word("endif");
}

}  // namespace

std::string remove_revealed_conditionals(std::string_view html, bool& changed) {
  changed = false;
  std::string out;
  std::size_t copied = 0;
  std::size_t pos = 0;
  while ((pos = html.find("<![", pos)) != std::string_view::npos) {
    const std::size_t keyword = pos + 3;
    const std::size_t close = html.find("]>", keyword);
    // The condition itself holds no '<' or '>': "<![endif]-->" ends a comment instead.
    const std::string_view condition =
        close == std::string_view::npos ? std::string_view() : html.substr(keyword, close + 1 - keyword);
    if (condition.empty() || condition.find_first_of("<>") != std::string_view::npos ||
        !is_conditional_keyword(condition)) {
      pos = keyword;
      continue;
    }
    if (!changed) out.reserve(html.size());
    changed = true;
    out.append(html.substr(copied, pos - copied));
    pos = copied = close + 2;
  }
  if (changed) out.append(html.substr(copied));
  return out;
}

}  // namespace qmilter::html
