// The per-recipient messages come from compose::write_html_message with placeholder bodies,
// cut where the placeholders are, so the shared previews (HTML and text) and the MIME tail
// are stored once.
#include "notification_message.hpp"

#include <algorithm>

#include "core/compose/html_message.hpp"
#include "core/html/plain_text.hpp"

namespace qmilter::notification_email {
namespace {

compose::HtmlMessageHeaders headers_of(const NotificationContent& content) {
  compose::HtmlMessageHeaders headers{content.from, content.to, content.subject, content.fallback_address, {}};
  if (content.replacement_image != nullptr) headers.images.push_back(content.replacement_image);
  if (content.embedded_images != nullptr) {
    for (const InlineImage& image : *content.embedded_images) headers.images.push_back(&image);
  }
  return headers;
}

std::size_t unique_position(const std::string& message, const std::string& placeholder) {
  const std::size_t at = message.find(placeholder);
  if (at == std::string::npos || message.find(placeholder, at + 1) != std::string::npos) return std::string::npos;
  return at;
}

// Bytes of the recipient's own, joined to the piece before when that is its own too.
void append_own(OutboxItem& item, std::string bytes) {
  if (bytes.empty()) return;
  if (!item.pieces.empty() && item.pieces.back().shared == OutboxPiece::own) {
    item.pieces.back().bytes += bytes;
  } else {
    item.pieces.push_back({OutboxPiece::own, std::move(bytes)});
  }
}

// One part's body: the pieces encoded one by one with the shared piece between each two.
void append_around(OutboxItem& item, const std::vector<std::string>& pieces, std::size_t shared) {
  const std::size_t count = std::max<std::size_t>(pieces.size(), 1);
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) item.pieces.push_back({shared, {}});
    if (i < pieces.size()) append_own(item, compose::quoted_printable(pieces[i], i + 1 == count));
  }
}

// The text rendering of the template around the preview. The HTML pieces are rendered as
// one document with a marker where the preview goes (a piece alone may open a table that
// the next one closes), then cut at the markers.
std::vector<std::string> text_around_preview(const std::vector<std::string>& html_pieces) {
  const std::string marker = "qmilterpreview" + compose::random_hex(16);
  std::string joined;
  for (std::size_t i = 0; i < html_pieces.size(); ++i) {
    if (i > 0) joined += marker;
    joined += html_pieces[i];
  }
  const std::string text = html::to_plain_text(joined);
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, start)) {
    pieces.push_back(text.substr(start, at - start));
    start = at + marker.size();
  }
  pieces.push_back(text.substr(start));
  return pieces;
}

}  // namespace

NotificationBatchBuilder::NotificationBatchBuilder(std::string_view preview_html)
    // One pair of boundaries per message: the MIME tail after the body is then the same for
    // every recipient.
    : boundaries_(compose::new_boundaries()) {
  batch_.shared.push_back(compose::quoted_printable(preview_html, false));
  batch_.shared.push_back(compose::quoted_printable(html::to_plain_text(preview_html), false));
}

sdk::Status NotificationBatchBuilder::add(const NotificationContent& content) {
  // Where the bodies go in the message libetpan writes: letters and digits pass through
  // quoted-printable unchanged, and nobody can guess them into a header.
  const std::string text_placeholder = "qmiltertext" + compose::random_hex(16);
  const std::string html_placeholder = "qmilterbody" + compose::random_hex(16);
  auto written = compose::write_html_message(headers_of(content), text_placeholder, html_placeholder, boundaries_);
  if (!written) return written.error();
  const std::string& message = written.value();
  const std::size_t text_at = unique_position(message, text_placeholder);
  const std::size_t html_at = unique_position(message, html_placeholder);
  if (text_at == std::string::npos || html_at == std::string::npos || html_at < text_at) {
    return sdk::Error{"libetpan wrote the notification body unexpectedly"};
  }
  OutboxItem item{content.to, {}};
  append_own(item, message.substr(0, text_at));
  append_around(item, text_around_preview(content.html), preview_text_piece);
  const std::size_t between = text_at + text_placeholder.size();
  append_own(item, message.substr(between, html_at - between));
  append_around(item, content.html, preview_piece);
  std::string tail = message.substr(html_at + html_placeholder.size());
  if (batch_.shared.size() == tail_piece) batch_.shared.push_back(tail);
  if (tail == batch_.shared[tail_piece]) {
    item.pieces.push_back({tail_piece, {}});
  } else {
    append_own(item, std::move(tail));
  }
  batch_.items.push_back(std::move(item));
  return {};
}

sdk::Result<std::string> build_notification(const NotificationContent& content, std::string_view preview_html) {
  NotificationBatchBuilder builder(preview_html);
  if (auto added = builder.add(content); !added) return added.error();
  const OutboxBatch batch = std::move(builder).take();
  std::string message;
  for (const OutboxPiece& piece : batch.items.front().pieces) {
    message += piece.shared == OutboxPiece::own ? piece.bytes : batch.shared.at(piece.shared);
  }
  return message;
}

}  // namespace qmilter::notification_email
