// The attachments of a quarantined message as the recipient should see them next to the
// preview: name, declared type, size. Values come from the message and are untrusted; the
// renderers here escape them. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qmilter::mime {

struct Attachment {
  std::string file_name;     // decoded (RFC 2047 / RFC 2231) UTF-8; "" when the part names none
  std::string content_type;  // as declared, lower-case ("application/pdf")
  std::uint64_t size = 0;    // bytes after transfer decoding
};

// "Statement.pdf (application/pdf, 48.2 KiB)"; "(no name)" for a nameless part. Plain text.
std::string describe_attachment(const Attachment& attachment);

// One line per attachment, "; "-separated, "none" for an empty list. Plain text for
// headers and the text part.
std::string attachments_text(const std::vector<Attachment>& attachments);

// An escaped <ul> of the attachments, or an escaped "none" paragraph. Safe HTML.
std::string attachments_html(const std::vector<Attachment>& attachments);

}  // namespace qmilter::mime
