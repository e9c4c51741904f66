// Folding and display names for the notification's own headers. Encoded words and the
// decoding side are in core/mime/header_text.cpp (shared with qmilter-web and the tag action).
#include "core/compose/header_encoding.hpp"

#include <cstdint>

#include "core/html/utf8.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::compose {

using mime::encoded_words;
using mime::is_plain_ascii;

namespace {

// Whether libetpan's folding at 72 columns can place every word on a line after the name.
bool has_no_long_word(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = (c == ' ') ? 0 : run + 1;
    if (run > 60) return false;
  }
  return true;
}

}  // namespace

std::string encode_unstructured(std::string_view utf8) {
  if (is_plain_ascii(utf8) && has_no_long_word(utf8)) return std::string(utf8);
  return encoded_words(utf8);
}

namespace {

// RFC 5322 atext: what a phrase word may hold without quoting.
bool is_atext(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Whether the name can go into the header as it is: atoms separated by single spaces, none
// too long to share a folded line (libetpan folds between words), nothing a reader decodes.
bool is_plain_phrase(std::string_view name) {
  if (name.empty() || name.front() == ' ' || name.back() == ' ') return false;
  if (name.find("=?") != std::string_view::npos || !has_no_long_word(name)) return false;
  char previous = 'x';
  for (char c : name) {
    if (c == ' ' ? previous == ' ' : !is_atext(c)) return false;
    previous = c;
  }
  return true;
}

}  // namespace

std::string cut_display_name(std::string_view utf8) {
  const std::string text = repair_utf8(utf8);
  if (text.size() <= max_display_name_bytes) return text;
  constexpr std::string_view ellipsis = "\xE2\x80\xA6";
  std::size_t end = 0;
  while (end < text.size()) {
    const std::size_t length = sdk::utf8_sequence_length(text, end);
    if (end + length + ellipsis.size() > max_display_name_bytes) break;
    end += length;
  }
  return text.substr(0, end) + std::string(ellipsis);
}

std::string encode_display_name(std::string_view utf8) {
  const std::string name = cut_display_name(utf8);
  if (is_plain_phrase(name)) return name;
  // Quoting is no way out: libetpan cannot fold a quoted string and refuses long ones, and
  // encoded words inside quotes are not decoded by readers.
  return encoded_words(name);
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                            u == '-' || u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

}  // namespace qmilter::compose
