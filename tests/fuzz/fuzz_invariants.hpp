// Invariants the fuzz targets check on sanitized output (abort on violation so libFuzzer
// and the seed runner both report it): only allowed tags, href="#", the replacement src,
// valid UTF-8. A light version of tests/unit/html's re-parse checks, fast enough to fuzz.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/html/utf8.hpp"

namespace qmilter::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view input, std::string_view output) {
  std::fprintf(stderr, "invariant broken: %s\ninput: %.*s\noutput: %.*s\n", what, static_cast<int>(input.size()),
               input.data(), static_cast<int>(output.size()), output.data());
  std::abort();
}

inline bool allowed_tag(std::string_view name) {
  static constexpr std::string_view kAllowed[] = {
      "a",  "b",  "blockquote", "br", "center", "div",   "em",     "font",  "h1",    "h2", "h3",
      "h4", "h5", "h6",         "hr", "i",      "img",   "li",     "ol",    "p",     "pre", "span",
      "strong", "table", "tbody", "td", "th",   "thead", "tr",     "tt",    "u",     "ul"};
  for (const std::string_view allowed : kAllowed)
    if (name == allowed) return true;
  return false;
}

inline bool allowed_attribute(std::string_view tag, std::string_view name, std::string_view value) {
  static constexpr std::string_view kPlain[] = {
      "align", "alt",     "bgcolor", "border", "cellpadding", "cellspacing", "color",
      "colspan", "dir",   "face",    "headers", "height",     "id",          "name",
      "rowspan", "size",  "style",   "title",  "type",        "valign",      "value", "width"};
  if (name == "href") return tag == "a" && value == "#";
  if (name == "src") return tag == "img" && value == "cid:removed_for_security_reasons";
  for (const std::string_view plain : kPlain)
    if (name == plain) return true;
  return false;
}

// Walks the output as our serializer writes it: <name( attr="value")*( /)?> and </name>.
inline void check_fragment(std::string_view input, std::string_view output) {
  if (html::repair_utf8(output, html::Utf8Repair::sequences_only) != output) fail("invalid UTF-8", input, output);
  for (std::size_t pos = output.find('<'); pos != std::string_view::npos; pos = output.find('<', pos + 1)) {
    std::size_t p = pos + 1;
    const bool closing = p < output.size() && output[p] == '/';
    if (closing) ++p;
    const std::size_t name_start = p;
    while (p < output.size() && output[p] >= 'a' && output[p] <= 'z') ++p;
    while (p < output.size() && output[p] >= '1' && output[p] <= '6') ++p;
    const std::string_view name = output.substr(name_start, p - name_start);
    if (!allowed_tag(name)) fail("tag not allowed", input, output);
    while (!closing && p < output.size() && output[p] == ' ') {
      const std::size_t equals = output.find("=\"", p);
      if (equals == std::string_view::npos) fail("malformed attribute", input, output);
      const std::size_t value_end = output.find('"', equals + 2);
      if (value_end == std::string_view::npos) fail("unterminated attribute", input, output);
      const std::string_view attribute = output.substr(p + 1, equals - p - 1);
      const std::string_view value = output.substr(equals + 2, value_end - equals - 2);
      if (value.find('<') != std::string_view::npos || value.find('>') != std::string_view::npos)
        fail("unescaped attribute value", input, output);
      if (!allowed_attribute(name, attribute, value)) fail("attribute not allowed", input, output);
      p = value_end + 1;
    }
    if (p < output.size() && output[p] == '/') ++p;
    if (p >= output.size() || output[p] != '>') fail("malformed tag", input, output);
  }
}

}  // namespace qmilter::fuzz
