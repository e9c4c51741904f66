// escape(): the one escaping routine for text and attribute values in sanitized output.
#include <string>
#include <string_view>

#include "core/html/escape.hpp"
#include "core/html/sanitizer.hpp"

namespace qmilter::html {

void append_escaped(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view entity;
    switch (text[i]) {
      case '&': entity = "&amp;"; break;
      case '<': entity = "&lt;"; break;
      case '>': entity = "&gt;"; break;
      case '"': entity = "&quot;"; break;
      case '\'': entity = "&#39;"; break;
      case '\r': entity = "&#13;"; break;  // a raw CR would be read back as LF
      default: continue;
    }
    out.append(text.substr(start, i - start));
    out.append(entity);
    start = i + 1;
  }
  out.append(text.substr(start));
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  append_escaped(out, text);
  return out;
}

}  // namespace qmilter::html
