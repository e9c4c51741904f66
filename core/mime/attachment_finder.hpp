// Lists the attachments of a parsed MIME tree (internal to qmilter::mime; reached through
// make_preview). Reads the tree only; thread-safe for distinct trees.
#pragma once

#include <cstddef>
#include <vector>

#include <libetpan/libetpan.h>

#include "core/mime/attachments.hpp"

namespace qmilter::mime {

// The list stops after this many: real mail has a handful.
inline constexpr std::size_t kMaxListedAttachments = 100;

// Every part that is not a body text: Content-Disposition attachment, a named part, any
// non-text leaf and attached messages (listed whole, not opened). text_part, the part the
// preview shows, and unnamed text alternatives of it are left out.
std::vector<Attachment> find_attachments(const mailmime* root, const mailmime* text_part);

}  // namespace qmilter::mime
