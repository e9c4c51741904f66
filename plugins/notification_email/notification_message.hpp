// Builds notification e-mails (core/compose/html_message.hpp writes them): the text
// rendering, then the rendered HTML with the replacement image when the preview needs it
// and the embedded images. The notifications about one message are built into one outbox
// batch in which the encoded preview (as HTML and as text) and the MIME tail (images,
// closing boundaries) are stored once and shared by every recipient's notification. Pure (plus the clock and random boundary/Message-ID); a builder
// is used by one thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/compose/html_message.hpp"
#include "email_settings.hpp"
#include "outbox.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::notification_email {

struct NotificationContent {
  std::string from;     // rendered From template, one line of UTF-8 ("Name <addr>" or "addr")
  std::string to;       // the recipient's address
  std::string subject;  // rendered Subject template, one line of UTF-8
  std::vector<std::string> html;  // rendered body, cut where the message's preview goes
  const InlineImage* replacement_image = nullptr;  // attach it (the preview points at it)
  const std::vector<InlineImage>* embedded_images = nullptr;
  std::string fallback_address;  // From address when the rendered From holds none
};

class NotificationBatchBuilder {
 public:
  // preview_html: the message's preview, rendered as text and quoted-printable encoded here
  // once for all.
  explicit NotificationBatchBuilder(std::string_view preview_html);

  // One recipient's notification; every recipient's content must name the same images.
  sdk::Status add(const NotificationContent& content);

  // Each item's message (CRLF line ends, ready for SMTP DATA) is its pieces joined.
  OutboxBatch take() && { return std::move(batch_); }

 private:
  static constexpr std::size_t preview_piece = 0;
  static constexpr std::size_t preview_text_piece = 1;
  static constexpr std::size_t tail_piece = 2;

  compose::MessageBoundaries boundaries_;
  OutboxBatch batch_;
};

// One whole notification, the preview put between the pieces of content.html.
sdk::Result<std::string> build_notification(const NotificationContent& content, std::string_view preview_html = {});

}  // namespace qmilter::notification_email
