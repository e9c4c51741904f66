// The built message, read back with libetpan's parser: structure, headers, Content-IDs.
#include "notification_message.hpp"

#include <gtest/gtest.h>
#include <libetpan/libetpan.h>

namespace qmilter::notification_email {
namespace {

InlineImage image(std::string name) { return {std::move(name), "image/png", "\x89PNG\r\n\x1a\nrest"}; }

std::string header_block(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

std::vector<std::string> content_ids(const std::string& message) {
  std::vector<std::string> ids;
  for (std::size_t at = message.find("Content-ID: "); at != std::string::npos; at = message.find("Content-ID: ", at + 1)) {
    ids.push_back(message.substr(at + 12, message.find("\r\n", at) - at - 12));
  }
  return ids;
}

TEST(NotificationMessage, IsMultipartRelatedWithHtmlAndImages) {
  const InlineImage replacement = image("removed_for_security_reasons");
  const std::vector<InlineImage> embedded{image("logo.png")};
  NotificationContent content{"Quarantäne <q@example.org>", "rcpt@example.com", "Quarantäne: Grüße", "<p>Grüße</p>",
                              &replacement, &embedded, "env@example.org"};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const std::string& message = built.value();
  const std::string headers = header_block(message);

  EXPECT_NE(headers.find("From: =?UTF-8?B?UXVhcmFudMOkbmU=?= <q@example.org>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("To: rcpt@example.com\r\n"), std::string::npos);
  EXPECT_NE(headers.find("=?UTF-8?B?UXVhcmFudMOkbmU6IEdyw7zDn2U=?="), std::string::npos) << headers;
  EXPECT_NE(headers.find("Date: "), std::string::npos);
  EXPECT_NE(headers.find("Message-ID: <"), std::string::npos);
  EXPECT_NE(headers.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Type: multipart/related; boundary=\"qmilter-"), std::string::npos);
  EXPECT_NE(message.find("Content-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable"),
            std::string::npos);
  EXPECT_NE(message.find("<p>Gr=C3=BC=C3=9Fe</p>"), std::string::npos);
  EXPECT_EQ(content_ids(message), (std::vector<std::string>{"<removed_for_security_reasons>", "<logo.png>"}));

  // libetpan reads it back as one multipart with three parts.
  std::size_t index = 0;
  mailmime* parsed = nullptr;
  ASSERT_EQ(mailmime_parse(message.data(), message.size(), &index, &parsed), MAILIMF_NO_ERROR);
  ASSERT_EQ(parsed->mm_type, MAILMIME_MESSAGE);
  mailmime* body = parsed->mm_data.mm_message.mm_msg_mime;
  ASSERT_NE(body, nullptr);
  ASSERT_EQ(body->mm_type, MAILMIME_MULTIPLE);
  EXPECT_EQ(clist_count(body->mm_data.mm_multipart.mm_mp_list), 3);
  mailmime_free(parsed);
}

TEST(NotificationMessage, ReplacementImageOnlyWhenGiven) {
  const std::vector<InlineImage> none;
  NotificationContent content{"q@example.org", "rcpt@example.com", "Subject", "<p>x</p>", nullptr, &none, ""};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(content_ids(built.value()).empty());
  EXPECT_NE(built.value().find("From: q@example.org\r\n"), std::string::npos);
}

TEST(NotificationMessage, FromWithoutAddressUsesTheFallback) {
  NotificationContent content{"Quarantine of {nobody}", "rcpt@example.com", "S", "x", nullptr, nullptr, "env@example.org"};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok());
  EXPECT_NE(built.value().find("From: Quarantine of {nobody} <env@example.org>\r\n"), std::string::npos) << built.value();
}

TEST(NotificationMessage, NoHeaderInjection) {
  NotificationContent content{"a@example.org\r\nBcc: x@example.com", "rcpt@example.com", "S\r\nBcc: y@example.com\nX: y",
                              "x", nullptr, nullptr, "env@example.org"};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok());
  const std::string headers = header_block(built.value());
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos) << headers;
  EXPECT_EQ(headers.find("\r\nX:"), std::string::npos) << headers;
}

TEST(NotificationMessage, BoundariesDiffer) {
  NotificationContent content{"q@example.org", "r@example.com", "S", "x", nullptr, nullptr, ""};
  auto a = build_notification(content);
  auto b = build_notification(content);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto boundary = [](const std::string& m) { return m.substr(m.find("boundary="), 60); };
  EXPECT_NE(boundary(a.value()), boundary(b.value()));
}

}  // namespace
}  // namespace qmilter::notification_email
