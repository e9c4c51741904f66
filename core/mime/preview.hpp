// The preview of a quarantined message for a notification (EMAIL_HTML_TEXT): finds the
// text part with libetpan, decodes it to UTF-8 and sanitizes it.
// Stateless and reentrant: safe to call from any thread.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include <vector>

#include "core/html/sanitizer.hpp"
#include "core/mime/attachments.hpp"

namespace qmilter::mime {

struct TextPart {
  enum class Kind { html, plain, none } kind = Kind::none;
  std::string utf8;  // transfer-decoded, charset-converted body of the part
};

// Finds the message's text part with libetpan (MIME tree; prefer text/html, else
// text/plain; walking nested multiparts), transfer-decodes (base64, QP) and converts its
// charset to UTF-8 (ISO-8859-x, windows-125x, KOI8-R, Shift_JIS, ISO-2022-JP, GB2312,
// Big5, UTF-8); unknown or lying charsets degrade to U+FFFD, never an error.
// raw_message: headers + empty line + body; CRLF or LF line ends.
TextPart find_text_part(std::string_view raw_message);

struct Preview {
  std::string html;             // safe UTF-8 fragment
  bool image_replaced = false;  // the caller must attach the replacement image
  bool had_text_part = false;   // false → html holds the fixed "no text part" note
  std::vector<Attachment> attachments;  // every part but the body text (at most 100)
};

// The preview fragment for EMAIL_HTML_TEXT: the html part sanitized; plain text escaped
// with <br/> per line; no text part → a fixed note; cut with a marker, on a UTF-8
// character boundary, where it would pass max_bytes or hold more than max_text bytes of
// visible text (the budget that says how much of the message a reader gets to see).
// Never throws except std::bad_alloc.
Preview make_preview(std::string_view raw_message, const html::SanitizeOptions& options, std::size_t max_bytes,
                     std::size_t max_text = std::numeric_limits<std::size_t>::max());

}  // namespace qmilter::mime
