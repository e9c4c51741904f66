// UTF-8 repair: a byte-wise decoder following the Unicode "maximal subpart" rule loosely
// (one U+FFFD per offending byte), with an ASCII fast path for the common case.
#include "core/html/utf8.hpp"

#include <cstdint>

namespace qmilter::html {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid.
std::size_t valid_sequence_length(std::string_view s, std::size_t i, char32_t& code_point) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[i + k]); };
  const std::uint8_t b0 = byte(0);
  std::size_t length = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, code_point = b0 & 0x1Fu, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, code_point = b0 & 0x0Fu, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, code_point = b0 & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xC0u) != 0x80u) return 0;
    code_point = (code_point << 6) | (byte(k) & 0x3Fu);
  }
  if (code_point < min || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
    return 0;
  return length;
}

}  // namespace

std::string repair_utf8(std::string_view input, Utf8Repair mode) {
  std::string out;
  append_repaired_utf8(out, input, mode);
  return out;
}

void append_repaired_utf8(std::string& out, std::string_view input, Utf8Repair mode) {
  const bool markup = mode == Utf8Repair::for_markup;
  out.reserve(out.size() + input.size() + input.size() / 16);
  std::size_t i = 0;
  while (i < input.size()) {
    // ASCII fast path: copy the run of harmless bytes in one go.
    std::size_t run = i;
    while (run < input.size()) {
      const auto c = static_cast<std::uint8_t>(input[run]);
      if (c >= 0x80 || (markup && c < 0x20 && c != '\t' && c != '\n')) break;
      ++run;
    }
    out.append(input.substr(i, run - i));
    i = run;
    if (i >= input.size()) break;

    const auto c = static_cast<std::uint8_t>(input[i]);
    if (c < 0x80) {  // a control character in markup mode
      if (c == '\r') {
        out.push_back('\n');
        i += (i + 1 < input.size() && input[i + 1] == '\n') ? 2 : 1;
      } else {
        out.append(c == '\f' || c == '\v' ? std::string_view(" ") : kReplacement);
        ++i;
      }
      continue;
    }
    char32_t code_point = 0;
    const std::size_t length = valid_sequence_length(input, i, code_point);
    if (length == 0 || (markup && (code_point == 0xFFFE || code_point == 0xFFFF))) {
      out.append(kReplacement);
      i += length == 0 ? 1 : length;
    } else {
      out.append(input.substr(i, length));
      i += length;
    }
  }
}

}  // namespace qmilter::html
