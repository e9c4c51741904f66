// A start-tag lexer just good enough to count attributes the way HTML tokenizes them:
// "<" + letter opens a tag, names end at space, '/', '=' or '>', values are quoted or end
// at space or '>'. It cannot know about comments or script bodies; a miscount there only
// shortens content that the sanitizer drops or rewrites anyway.
#include "core/html/attribute_limit.hpp"

namespace qmilter::html {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::string limit_attributes(std::string_view html, std::size_t max_attributes, bool& changed) {
  changed = false;
  std::string out;
  std::size_t copied = 0;  // html[0, copied) is in out (only once something was cut)
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    ++pos;
    if (pos >= html.size() || !is_letter(html[pos])) continue;
    while (pos < html.size() && !is_space(html[pos]) && html[pos] != '/' && html[pos] != '>') ++pos;
    std::size_t attributes = 0;
    std::size_t cut_from = std::string_view::npos;
    while (pos < html.size()) {
      while (pos < html.size() && (is_space(html[pos]) || html[pos] == '/')) ++pos;
      if (pos >= html.size() || html[pos] == '>') break;
      if (++attributes > max_attributes && cut_from == std::string_view::npos) cut_from = pos;
      ++pos;  // a name's first character may be '=' (HTML says so)
      while (pos < html.size() && !is_space(html[pos]) && html[pos] != '/' && html[pos] != '=' && html[pos] != '>') ++pos;
      std::size_t after = pos;
      while (after < html.size() && is_space(html[after])) ++after;
      if (after >= html.size() || html[after] != '=') continue;
      pos = after + 1;
      while (pos < html.size() && is_space(html[pos])) ++pos;
      if (pos < html.size() && (html[pos] == '"' || html[pos] == '\'')) {
        const std::size_t close = html.find(html[pos], pos + 1);
        pos = close == std::string_view::npos ? html.size() : close + 1;
      } else {
        while (pos < html.size() && !is_space(html[pos]) && html[pos] != '>') ++pos;
      }
    }
    if (cut_from != std::string_view::npos) {
      if (!changed) out.reserve(html.size());
      changed = true;
      out.append(html.substr(copied, cut_from - copied));
      copied = pos;  // the '>' (or the end) stays
    }
  }
  if (changed) out.append(html.substr(copied));
  return out;
}

}  // namespace qmilter::html
