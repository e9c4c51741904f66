// RFC 2047 decoding via libetpan, encoding by hand (libetpan has no encoder for headers).
#include "header_encoding.hpp"

#include <libetpan/libetpan.h>

#include <cstdlib>
#include <memory>

namespace qmilter::notification_email {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one (overlongs,
// surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

bool is_plain_ascii(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
  }
  // Text that looks like an encoded word would be decoded by the reader: encode it.
  return text.find("=?") == std::string_view::npos;
}

std::string base64(std::string_view data) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8) |
                            static_cast<unsigned char>(data[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i < data.size()) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16;
    if (i + 1 < data.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += (i + 1 < data.size()) ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string encoded_words(std::string_view utf8) {
  // RFC 2047 allows 75 characters per word; libetpan folds header lines at 72 columns and
  // would move a longer first word to a line of its own (a reader then sees a leading
  // space). 36 bytes → 48 base64 characters → 60-character words: "Subject: " + one fits.
  constexpr std::size_t max_bytes_per_word = 36;
  const std::string text = repair_utf8(utf8);
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size()) {
      const std::size_t length = utf8_sequence_length(text, end);
      if (end + length - start > max_bytes_per_word) break;
      end += length;
    }
    if (!out.empty()) out += ' ';
    out += "=?UTF-8?B?";
    out += base64(std::string_view(text).substr(start, end - start));
    out += "?=";
    start = end;
  }
  return out;
}

}  // namespace

std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += replacement_character;
      ++i;
    } else {
      out.append(text, i, length);
      i += length;
    }
  }
  return out;
}

std::string without_line_breaks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != '\r' && c != '\n') out += c;
  }
  return out;
}

std::string decode_header_value(std::string_view raw) {
  const std::string unfolded = without_line_breaks(raw);
  if (unfolded.find("=?") == std::string::npos) return repair_utf8(unfolded);
  std::size_t index = 0;
  char* decoded = nullptr;
  const int rc = mailmime_encoded_phrase_parse("utf-8", unfolded.data(), unfolded.size(), &index, "utf-8", &decoded);
  std::unique_ptr<char, decltype(&std::free)> owner(decoded, &std::free);
  if (rc != MAILIMF_NO_ERROR || decoded == nullptr) return repair_utf8(unfolded);
  // libetpan stops at the end of what it could read; keep any rest as it was.
  std::string result(decoded);
  if (index < unfolded.size()) result.append(unfolded, index);
  return without_line_breaks(repair_utf8(result));
}

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

std::string encode_display_name(std::string_view utf8) {
  if (is_plain_ascii(utf8)) return std::string(utf8);
  return encoded_words(utf8);
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

}  // namespace qmilter::notification_email
