// Header values of a received message as a person reads them (RFC 2047 decoding,
// unfolding, UTF-8 repair), and encoded words for the headers qmilter writes. For
// notifications, the qmilter-web page and the tag action alike.
// Pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::mime {

// Replaces each byte sequence that is not valid UTF-8 by U+FFFD, so that what we hand to
// an HTML page and to "charset=UTF-8" headers never lies about its encoding.
std::string repair_utf8(std::string_view text);

// Drops every CR and LF: a folded header becomes one line, and no value taken from the
// original message can start a new header line elsewhere.
std::string without_line_breaks(std::string_view text);

// An original header value as a person reads it: unfolded, RFC 2047 encoded words decoded
// from their charset, the result valid UTF-8. Raw 8-bit values are taken as UTF-8. Control
// characters but TAB (a NUL or CR an encoded word decodes to, ...) become U+FFFD: replaced,
// never cut at, so nothing after them is lost.
std::string decode_header_value(std::string_view raw);

// Whether text can go into a header as it is: printable ASCII, nothing that looks like an
// encoded word ("=?", which a reader would decode).
bool is_plain_ascii(std::string_view text);

// The whole text as UTF-8 "B" encoded words (RFC 2047) of at most 60 characters each, split
// on character boundaries and separated by spaces (folding points); invalid UTF-8 repaired.
std::string encoded_words(std::string_view utf8);

// A Subject value with `prefix` (UTF-8) and one space in front of `original` (the raw
// value as received), the prefix encoded where it is not plain ASCII so that a reader
// decodes "<prefix> <original>" whether or not the original starts with an encoded word.
std::string prefixed_subject(std::string_view prefix, std::string_view original);

}  // namespace qmilter::mime
