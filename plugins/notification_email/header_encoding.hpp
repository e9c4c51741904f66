// Header text for notifications: reading the original message's headers (RFC 2047 decoding,
// unfolding, UTF-8 repair) and writing the notification's own (RFC 2047 encoded words).
// Pure functions, safe from any thread.
#pragma once

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
// from their charset, the result valid UTF-8. Raw 8-bit values are taken as UTF-8.
std::string decode_header_value(std::string_view raw);

// Unstructured header text (Subject) for the notification: kept as it is when it is
// printable ASCII; otherwise the whole text as UTF-8 "B" encoded words of at most 75
// characters each, split on character boundaries, separated by spaces (folding points).
std::string encode_unstructured(std::string_view utf8);

// A display name (the phrase before <addr>): ASCII stays as it is (the MIME writer quotes it
// when it holds specials); anything else becomes encoded words as above.
std::string encode_display_name(std::string_view utf8);

// Percent-encoding of everything but RFC 3986 unreserved characters (for *_URL variables).
std::string url_encode(std::string_view text);

}  // namespace qmilter::notification_email
