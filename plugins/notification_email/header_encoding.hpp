// Header text for notifications: reading the original message's headers (RFC 2047 decoding,
// unfolding, UTF-8 repair) and writing the notification's own (RFC 2047 encoded words,
// phrases that fold within the line limits).
// Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qmilter::notification_email {

// Replaces each byte sequence that is not valid UTF-8 by U+FFFD, so that what we hand to
// the HTML body and to "charset=UTF-8" headers never lies about its encoding.
std::string repair_utf8(std::string_view text);

// Drops every CR and LF: a folded header becomes one line, and no value taken from the
// original message can start a new header line in the notification.
std::string without_line_breaks(std::string_view text);

// An original header value as a person reads it: unfolded, RFC 2047 encoded words decoded
// from their charset, the result valid UTF-8. Raw 8-bit values are taken as UTF-8. Control
// characters but TAB (a NUL or CR an encoded word decodes to, ...) become U+FFFD: replaced,
// never cut at, so nothing after them is lost.
std::string decode_header_value(std::string_view raw);

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

}  // namespace qmilter::notification_email
