// RFC 2047 by hand: libetpan has no encoder for headers, and its decoder returns a C
// string, which a NUL decoded from an encoded word would cut short.
#include "core/mime/header_text.hpp"

#include <cstdint>
#include <optional>

#include "core/html/utf8.hpp"
#include "core/mime/charset_decoder.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::mime {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// One RFC 2047 encoded word, decoded to the bytes of its charset.
struct EncodedWord {
  std::string charset;
  std::string bytes;
  std::size_t end = 0;  // just past its "?="
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    const int value = base64_value(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

std::string decode_q(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// "=?charset[*language]?B|Q?text?=" at text[at], or nullopt when there is none.
std::optional<EncodedWord> parse_encoded_word(std::string_view text, std::size_t at) {
  const std::size_t charset_end = text.find('?', at + 2);
  if (charset_end == std::string_view::npos || charset_end + 2 >= text.size() || text[charset_end + 2] != '?') {
    return std::nullopt;
  }
  const std::size_t text_start = charset_end + 3;
  // The text holds no '?', so the first one after it must close the word. Looking no further
  // keeps a header of thousands of unclosed "=?" linear.
  const std::size_t text_end = text.find('?', text_start);
  if (text_end == std::string_view::npos || text_end + 1 >= text.size() || text[text_end + 1] != '=') {
    return std::nullopt;
  }
  std::string_view charset = text.substr(at + 2, charset_end - at - 2);
  const std::string_view encoded = text.substr(text_start, text_end - text_start);
  if (charset.empty() || charset.find_first_of(" \t") != std::string_view::npos ||
      encoded.find_first_of(" \t?") != std::string_view::npos) {
    return std::nullopt;
  }
  charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
  EncodedWord word;
  word.charset = std::string(charset);
  word.end = text_end + 2;
  const char encoding = text[charset_end + 1];
  if (encoding == 'B' || encoding == 'b') {
    auto bytes = decode_base64(encoded);
    if (!bytes) return std::nullopt;
    word.bytes = std::move(*bytes);
  } else if (encoding == 'Q' || encoding == 'q') {
    word.bytes = decode_q(encoded);
  } else {
    return std::nullopt;
  }
  return word;
}

// Control characters (C0 but TAB, DEL, C1) of valid UTF-8 become U+FFFD: a NUL decoded from
// an encoded word must not end the text early anywhere downstream, and none of them is
// something a reader of the notification should get raw.
std::string without_control_characters(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto byte = static_cast<unsigned char>(utf8[i]);
    const bool c0_or_del = (byte < 0x20 && byte != '\t') || byte == 0x7F;
    const bool c1 = byte == 0xC2 && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(utf8[i + 1]) <= 0x9F;
    if (c0_or_del || c1) {
      out += replacement_character;
      if (c1) ++i;
    } else {
      out += utf8[i];
    }
  }
  return out;
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

}  // namespace

bool is_plain_ascii(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
  }
  // Text that looks like an encoded word would be decoded by the reader: encode it.
  return text.find("=?") == std::string_view::npos;
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
      const std::size_t length = sdk::utf8_sequence_length(text, end);
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

std::string prefixed_subject(std::string_view prefix, std::string_view original) {
  if (original.empty()) return is_plain_ascii(prefix) ? std::string(prefix) : encoded_words(prefix);
  if (is_plain_ascii(prefix)) return std::string(prefix) + " " + std::string(original);
  // White space between two encoded words is dropped by readers: the separating space must
  // then be inside the prefix's own encoded word.
  const bool starts_encoded = original.substr(original.find_first_not_of(" \t") == std::string_view::npos
                                                  ? original.size()
                                                  : original.find_first_not_of(" \t"))
                                  .rfind("=?", 0) == 0;
  return (starts_encoded ? encoded_words(std::string(prefix) + " ") : encoded_words(prefix)) + " " +
         std::string(original);
}

std::string repair_utf8(std::string_view text) { return html::repair_utf8(text, html::Utf8Repair::sequences_only); }

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
  std::string out;
  out.reserve(unfolded.size());
  std::string pending;          // bytes of adjacent encoded words in one charset, not yet converted
  std::string pending_charset;
  bool have_pending = false;
  const auto flush = [&] {
    if (have_pending) out += decode_to_utf8(pending, pending_charset);
    pending.clear();
    have_pending = false;
  };
  std::size_t plain_start = 0;  // start of the text not yet copied
  for (std::size_t at = unfolded.find("=?"); at != std::string::npos; at = unfolded.find("=?", at)) {
    const std::optional<EncodedWord> word = parse_encoded_word(unfolded, at);
    if (!word) {
      at += 2;
      continue;
    }
    const std::string_view between = std::string_view(unfolded).substr(plain_start, at - plain_start);
    // White space between two encoded words is not part of the text (RFC 2047, 6.2).
    const bool only_space = between.find_first_not_of(" \t") == std::string_view::npos;
    if (!(have_pending && only_space)) {
      flush();
      out += repair_utf8(between);
    }
    if (have_pending && !sdk::ascii_iequals(pending_charset, word->charset)) flush();
    if (!have_pending) pending_charset = word->charset;
    // Words in one charset are joined before conversion: encoders split characters.
    pending += word->bytes;
    have_pending = true;
    plain_start = at = word->end;
  }
  flush();
  out += repair_utf8(std::string_view(unfolded).substr(plain_start));
  return without_control_characters(out);
}

}  // namespace qmilter::mime
