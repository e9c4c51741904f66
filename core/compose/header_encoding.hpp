// Header text for notifications and digests: writing their own headers (RFC 2047 encoded
// words, phrases that fold within the line limits), and reading the original's (from
// core/mime/header_text.hpp).
// Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/mime/header_text.hpp"

namespace qmilter::compose {

// The reading side lives with the MIME helpers (qmilter-web decodes headers the same way).
using mime::decode_header_value;
using mime::repair_utf8;
using mime::without_line_breaks;

// Unstructured header text (Subject) for the notification: kept as it is when it is
// printable ASCII; otherwise the whole text as UTF-8 "B" encoded words of at most 75
// characters each, split on character boundaries, separated by spaces (folding points).
std::string encode_unstructured(std::string_view utf8);

// The longest display name a notification's From carries, in bytes of UTF-8: a longer one
// (a hostile original From shown through {EMAIL_FROM}) is cut, so the header stays a few
// folded lines.
inline constexpr std::size_t max_display_name_bytes = 256;

// The name cut on a character boundary to max_display_name_bytes, "…" marking the cut.
std::string cut_display_name(std::string_view utf8);

// A display name (the phrase before <addr>), cut as above, ready to be written unquoted:
// atoms separated by single spaces stay as they are; anything else (non-ASCII, specials
// that would need quotes, a word too long for a folded line) becomes encoded words as above,
// each of which fits a line of its own.
std::string encode_display_name(std::string_view utf8);

// Percent-encoding of everything but RFC 3986 unreserved characters (for *_URL variables).
std::string url_encode(std::string_view text);

}  // namespace qmilter::compose
