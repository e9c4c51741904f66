// Converts a decoded MIME part body from its declared charset to UTF-8 with iconv, so that
// unknown charsets and bytes that lie about their charset become U+FFFD, never an error.
// Pure function (one iconv descriptor per call), thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::mime {

// charset: the Content-Type parameter as written (any case, may be empty → US-ASCII,
// which is read as UTF-8 because that is what such mail nearly always holds).
std::string decode_to_utf8(std::string_view bytes, std::string_view charset);

// The charset named by a <meta charset=...> or <meta http-equiv content="...charset=...">
// near the start of an HTML body, or "" when there is none.
std::string sniff_html_charset(std::string_view html);

}  // namespace qmilter::mime
