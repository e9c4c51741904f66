// Writes one HTML e-mail with libetpan's MIME writer: multipart/alternative holding a
// text/plain rendering and then multipart/related with the HTML and its inline images (all
// text UTF-8, quoted-printable), so text-only clients get the same notification; Subject,
// From, To, Date, Message-ID, MIME-Version and Auto-Submitted, non-ASCII text as RFC 2047
// encoded words. Shared by the
// email notifier and qmilterctl's digests, so both write the same headers the same way.
// Pure (plus the clock and random boundary/Message-ID); safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/result.hpp"

namespace qmilter::compose {

// An image that goes into the message as an inline part.
struct InlineImage {
  std::string file_name;     // Content-ID (and the inline file name)
  std::string content_type;  // "image/png", ... — sniffed from the bytes, never guessed from the name
  std::string bytes;
};

struct HtmlMessageHeaders {
  std::string from;     // one line of UTF-8 ("Name <addr>" or "addr")
  std::string to;       // the recipient's address
  std::string subject;  // one line of UTF-8; CR and LF are dropped whatever the caller passes
  std::string fallback_address;  // From address when `from` holds none
  std::vector<const InlineImage*> images;  // in this order after the HTML part
};

// `count` random bytes as lower-case hex (boundaries, placeholders, Message-IDs).
std::string random_hex(std::size_t count);

// MIME boundaries nobody can predict (88 random bits each), so no text can contain them;
// of the same length and random, so neither is a prefix of the other.
struct MessageBoundaries {
  std::string alternative;  // around the text and the HTML alternatives
  std::string related;      // around the HTML and its images
};
MessageBoundaries new_boundaries();

// The whole message (CRLF line ends, ready for SMTP DATA) with `text_body` as the text of
// the text/plain part and `html_body` as that of the HTML part, both quoted-printable
// encoded by libetpan.
sdk::Result<std::string> write_html_message(const HtmlMessageHeaders& headers, std::string_view text_body,
                                            std::string_view html_body, const MessageBoundaries& boundaries);

// Text quoted-printable encoded from column 0. Unless it is the body's last piece it ends
// at column 0 too (a soft line break where needed), so the pieces can be encoded one by one
// and joined: a shared piece's encoding does not depend on the text before it.
std::string quoted_printable(std::string_view text, bool last);

}  // namespace qmilter::compose
