// Finds and decodes the text part of a message with libetpan's MIME parser (internal to
// qmilter::mime; the public entry is find_text_part in preview.hpp). Thread-safe: the
// parse tree lives only inside the call.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/mime/preview.hpp"

namespace qmilter::mime {

struct ExtractedText {
  TextPart part;
  bool cut = false;  // the part was longer than max_bytes and part.utf8 holds its start
  std::vector<Attachment> attachments;  // every part but the body text, in message order
};

// Like find_text_part, but transfer-decodes and converts only about the first max_bytes
// of the part, so a preview of a 10 MB part does not cost 10 MB several times over.
ExtractedText extract_text_part(std::string_view raw_message, std::size_t max_bytes);

}  // namespace qmilter::mime
