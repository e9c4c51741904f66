// Builds one notification e-mail with libetpan's MIME writer: multipart/related holding the
// rendered HTML (UTF-8, quoted-printable), the replacement image when the preview needs it
// and the embedded images; Subject, From, To, Date, Message-ID, MIME-Version. Pure function
// of its inputs (plus the clock and a random boundary/Message-ID): safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "email_settings.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::notification_email {

struct NotificationContent {
  std::string from;     // rendered From template, one line of UTF-8 ("Name <addr>" or "addr")
  std::string to;       // the recipient's address
  std::string subject;  // rendered Subject template, one line of UTF-8
  std::string html;     // rendered body
  const InlineImage* replacement_image = nullptr;  // attach it (the preview points at it)
  const std::vector<InlineImage>* embedded_images = nullptr;
  std::string fallback_address;  // From address when the rendered From holds none
};

// The whole message, CRLF line ends, ready for SMTP DATA.
sdk::Result<std::string> build_notification(const NotificationContent& content);

}  // namespace qmilter::notification_email
