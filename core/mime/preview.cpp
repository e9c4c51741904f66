// make_preview(): text part → safe HTML fragment → size cap. Only about four times the cap
// is decoded and sanitized, which bounds time and memory for huge parts.
#include "core/mime/preview.hpp"

#include <algorithm>
#include <limits>

#include "core/html/truncate.hpp"
#include "core/html/utf8.hpp"
#include "core/mime/text_part_finder.hpp"

namespace qmilter::mime {
namespace {

constexpr std::string_view kNoTextNote =
    "<p><i>This message has no text part that could be shown here.</i></p>";
constexpr std::string_view kTruncatedMarker = "<p><i>[preview truncated]</i></p>";
constexpr std::string_view kReplacedImage = " src=\"cid:removed_for_security_reasons\"";
// Sanitizing removes markup, so more input than output is read; never less than this.
constexpr std::size_t kMinimumInput = 64 * 1024;

std::string plain_to_html(std::string_view text) {
  const std::string clean = html::repair_utf8(text, html::Utf8Repair::for_markup);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  std::size_t start = 0;
  while (start <= clean.size()) {
    const std::size_t end = std::min(clean.find('\n', start), clean.size());
    out.append(html::escape(std::string_view(clean).substr(start, end - start)));
    if (end == clean.size()) break;
    out.append("<br/>\n");
    start = end + 1;
  }
  return out;
}

}  // namespace

Preview make_preview(std::string_view raw_message, const html::SanitizeOptions& options, std::size_t max_bytes,
                     std::size_t max_text) {
  const std::size_t input_limit =
      max_bytes > std::numeric_limits<std::size_t>::max() / 4 ? max_bytes
                                                              : std::max(max_bytes * 4, kMinimumInput);
  const ExtractedText extracted = extract_text_part(raw_message, input_limit);
  Preview preview;
  preview.attachments = extracted.attachments;
  std::string fragment;
  switch (extracted.part.kind) {
    case TextPart::Kind::none:
      preview.html = html::truncate_fragment(kNoTextNote, max_bytes, {}, false);
      return preview;
    case TextPart::Kind::html:
      fragment = html::sanitize(extracted.part.utf8, options).html;
      break;
    case TextPart::Kind::plain:
      fragment = plain_to_html(extracted.part.utf8);
      break;
  }
  preview.had_text_part = true;
  preview.html = html::truncate_fragment(fragment, max_bytes, kTruncatedMarker, extracted.cut, max_text);
  preview.image_replaced = preview.html.find(kReplacedImage) != std::string::npos;
  return preview;
}

}  // namespace qmilter::mime
