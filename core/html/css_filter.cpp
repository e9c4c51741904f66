// The style check normalises before it matches, because browsers (old IE above all) accept
// "exp/**/ression", "\65 xpression", "u\rl(" and full-width letters as the real thing.
#include "core/html/css_filter.hpp"

#include <array>
#include <cstdint>

namespace qmilter::html {
namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>((c | 0x20) - 'a' + 10);
}

bool is_css_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Appends the ASCII the matcher cares about; other code points become '?', which matches
// nothing dangerous but still separates tokens.
void append_code_point(std::string& out, std::uint32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width forms → ASCII
  if (cp == 0 || cp <= 0x20 || cp == 0x7F) return;  // NUL, controls and spaces vanish
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c);
  } else {
    out.push_back('?');
  }
}

// Decodes one UTF-8 character starting at s[i] (input is valid UTF-8 from libxml2).
std::uint32_t decode_utf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<std::uint8_t>(s[i++]);
  if (b0 < 0x80) return b0;
  std::size_t extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : 1;
  std::uint32_t cp = b0 & (0x3Fu >> extra);
  while (extra-- > 0 && i < s.size()) cp = (cp << 6) | (static_cast<std::uint8_t>(s[i++]) & 0x3Fu);
  return cp;
}

}  // namespace

std::string normalize_css(std::string_view style) {
  std::string out;
  out.reserve(style.size());
  std::size_t i = 0;
  while (i < style.size()) {
    const char c = style[i];
    if (c == '/' && i + 1 < style.size() && style[i + 1] == '*') {
      const std::size_t end = style.find("*/", i + 2);
      i = end == std::string_view::npos ? style.size() : end + 2;
      continue;
    }
    if (c == '\\') {
      ++i;
      if (i >= style.size()) break;
      if (is_hex(style[i])) {
        std::uint32_t cp = 0;
        for (int digits = 0; digits < 6 && i < style.size() && is_hex(style[i]); ++digits, ++i)
          cp = cp * 16 + hex_value(style[i]);
        if (i < style.size() && is_css_space(style[i])) ++i;
        append_code_point(out, cp);
      } else if (style[i] == '\n' || style[i] == '\r' || style[i] == '\f') {
        ++i;  // escaped newline: a line continuation
      } else {
        append_code_point(out, decode_utf8(style, i));
      }
      continue;
    }
    append_code_point(out, decode_utf8(style, i));
  }
  return out;
}

bool style_is_safe(std::string_view style) {
  static constexpr std::array<std::string_view, 13> kDangerous = {
      "url(",        "expression",   "@import",          "@",
      "behavior",    "behaviour",    "javascript:",      "vbscript:",
      "-moz-binding", "image-set(",  "position:fixed",   "position:absolute",
      "image("};
  const std::string normalized = normalize_css(style);
  for (const std::string_view token : kDangerous) {
    if (normalized.find(token) != std::string::npos) return false;
  }
  return true;
}

}  // namespace qmilter::html
