// The per-recipient messages come from compose::write_html_message with a placeholder body,
// cut where the placeholder is, so the shared preview and MIME tail are stored once.
#include "notification_message.hpp"

#include <algorithm>

#include "core/compose/html_message.hpp"

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

}  // namespace

NotificationBatchBuilder::NotificationBatchBuilder(std::string_view preview_html)
    // One boundary per message: the MIME tail after the body is then the same for every
    // recipient.
    : boundary_(compose::new_boundary()) {
  batch_.shared.push_back(compose::quoted_printable(preview_html, false));
}

sdk::Status NotificationBatchBuilder::add(const NotificationContent& content) {
  // Where the body goes in the message libetpan writes: letters and digits pass through
  // quoted-printable unchanged, and nobody can guess them into a header.
  const std::string placeholder = "qmilterbody" + compose::random_hex(16);
  auto written = compose::write_html_message(headers_of(content), placeholder, boundary_);
  if (!written) return written.error();
  const std::string& message = written.value();
  const std::size_t at = message.find(placeholder);
  if (at == std::string::npos || message.find(placeholder, at + 1) != std::string::npos) {
    return sdk::Error{"libetpan wrote the notification body unexpectedly"};
  }
  OutboxItem item{content.to, {}};
  std::string own = message.substr(0, at);
  const std::size_t pieces = std::max<std::size_t>(content.html.size(), 1);
  for (std::size_t i = 0; i < pieces; ++i) {
    if (i > 0) {
      if (!own.empty()) item.pieces.push_back({OutboxPiece::own, std::move(own)});
      own.clear();
      item.pieces.push_back({preview_piece, {}});
    }
    if (i < content.html.size()) own += compose::quoted_printable(content.html[i], i + 1 == pieces);
  }
  std::string tail = message.substr(at + placeholder.size());
  if (batch_.shared.size() == tail_piece) batch_.shared.push_back(tail);
  if (tail == batch_.shared[tail_piece]) {
    if (!own.empty()) item.pieces.push_back({OutboxPiece::own, std::move(own)});
    item.pieces.push_back({tail_piece, {}});
  } else {
    item.pieces.push_back({OutboxPiece::own, own + tail});
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
