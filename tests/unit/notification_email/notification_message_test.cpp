// The built message, read back with libetpan's parser: structure, headers, Content-IDs.
#include "notification_message.hpp"

#include <gtest/gtest.h>
#include "core/compose/header_encoding.hpp"
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

TEST(NotificationMessage, IsTextThenHtmlWithItsImages) {
  const InlineImage replacement = image("removed_for_security_reasons");
  const std::vector<InlineImage> embedded{image("logo.png")};
  NotificationContent content{"Quarantäne <q@example.org>", "rcpt@example.com", "Quarantäne: Grüße",
                              {"<h1>Notice</h1><p>Grüße</p>"}, &replacement, &embedded, "env@example.org"};
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
  EXPECT_NE(headers.find("Content-Type: multipart/alternative; boundary=\"qmilter-"), std::string::npos);
  EXPECT_NE(message.find("Content-Type: multipart/related; boundary=\"qmilter-"), std::string::npos);
  const std::size_t text = message.find("Content-Type: text/plain; charset=\"UTF-8\"\r\n"
                                        "Content-Transfer-Encoding: quoted-printable");
  const std::size_t html = message.find("Content-Type: text/html; charset=\"UTF-8\"\r\n"
                                        "Content-Transfer-Encoding: quoted-printable");
  ASSERT_NE(text, std::string::npos);
  ASSERT_NE(html, std::string::npos);
  EXPECT_LT(text, html);  // the preferred alternative last
  EXPECT_NE(message.find("Notice\r\n\r\nGr=C3=BC=C3=9Fe"), std::string::npos) << message;
  EXPECT_NE(message.find("<p>Gr=C3=BC=C3=9Fe</p>"), std::string::npos);
  EXPECT_EQ(content_ids(message), (std::vector<std::string>{"<removed_for_security_reasons>", "<logo.png>"}));

  // libetpan reads it back as text + (html + two images).
  std::size_t index = 0;
  mailmime* parsed = nullptr;
  ASSERT_EQ(mailmime_parse(message.data(), message.size(), &index, &parsed), MAILIMF_NO_ERROR);
  ASSERT_EQ(parsed->mm_type, MAILMIME_MESSAGE);
  mailmime* body = parsed->mm_data.mm_message.mm_msg_mime;
  ASSERT_NE(body, nullptr);
  ASSERT_EQ(body->mm_type, MAILMIME_MULTIPLE);
  ASSERT_EQ(clist_count(body->mm_data.mm_multipart.mm_mp_list), 2);
  auto* related = static_cast<mailmime*>(clist_content(clist_next(clist_begin(body->mm_data.mm_multipart.mm_mp_list))));
  ASSERT_EQ(related->mm_type, MAILMIME_MULTIPLE);
  EXPECT_EQ(clist_count(related->mm_data.mm_multipart.mm_mp_list), 3);
  mailmime_free(parsed);
}

TEST(NotificationMessage, ReplacementImageOnlyWhenGiven) {
  const std::vector<InlineImage> none;
  NotificationContent content{"q@example.org", "rcpt@example.com", "Subject", {"<p>x</p>"}, nullptr, &none, ""};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(content_ids(built.value()).empty());
  EXPECT_NE(built.value().find("From: q@example.org\r\n"), std::string::npos);
}

TEST(NotificationMessage, FromWithoutAddressUsesTheFallback) {
  NotificationContent content{"Quarantine of {nobody}", "rcpt@example.com", "S", {"x"}, nullptr, nullptr, "env@example.org"};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok());
  EXPECT_NE(built.value().find("From: Quarantine of {nobody} <env@example.org>\r\n"), std::string::npos) << built.value();
}

TEST(NotificationMessage, NoHeaderInjection) {
  NotificationContent content{"a@example.org\r\nBcc: x@example.com", "rcpt@example.com", "S\r\nBcc: y@example.com\nX: y",
                              {"x"}, nullptr, nullptr, "env@example.org"};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok());
  const std::string headers = header_block(built.value());
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos) << headers;
  EXPECT_EQ(headers.find("\r\nX:"), std::string::npos) << headers;
}

TEST(NotificationMessage, BoundariesDiffer) {
  NotificationContent content{"q@example.org", "r@example.com", "S", {"x"}, nullptr, nullptr, ""};
  auto a = build_notification(content);
  auto b = build_notification(content);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto boundary = [](const std::string& m) { return m.substr(m.find("boundary="), 60); };
  EXPECT_NE(boundary(a.value()), boundary(b.value()));
}

std::vector<std::string> header_lines(const std::string& message) {
  std::vector<std::string> lines;
  const std::string headers = header_block(message);
  for (std::size_t at = 0; at < headers.size();) {
    const std::size_t end = headers.find("\r\n", at);
    lines.push_back(headers.substr(at, end - at));
    at = end + 2;
  }
  return lines;
}

// What a reader sees: the From header unfolded.
std::string unfolded_from(const std::string& message) {
  std::string from;
  bool in_from = false;
  for (const std::string& line : header_lines(message)) {
    if (line.rfind("From: ", 0) == 0) {
      in_from = true;
      from = line.substr(6);
    } else if (in_from && !line.empty() && line[0] == ' ') {
      from += line;
    } else {
      in_from = false;
    }
  }
  return from;
}

TEST(NotificationMessage, LongDisplayNamesAreFoldedEncodedAndCut) {
  const std::string quoted_name(600, 'q');
  for (const std::string& from : {"\"" + std::string(300, 'a') + " " + std::string(300, 'b') + "\" <evil@example.org>",
                                  "\"" + quoted_name + ", the boss\" <evil@example.org>",
                                  std::string(900, 'u') + " <evil@example.org>",
                                  "Gr\xC3\xBC\xC3\x9F" + std::string(700, 'e') + " <evil@example.org>"}) {
    NotificationContent content{from, "rcpt@example.com", "S", {"x"}, nullptr, nullptr, "env@example.org"};
    auto built = build_notification(content);
    ASSERT_TRUE(built.ok()) << built.error().message;
    for (const std::string& line : header_lines(built.value())) {
      EXPECT_LE(line.size(), 78u) << line;
      for (std::size_t at = line.find("=?"); at != std::string::npos; at = line.find("=?", at + 2)) {
        const std::size_t end = line.find("?=", at + 10);
        ASSERT_NE(end, std::string::npos) << line;
        EXPECT_LE(end + 2 - at, 75u) << line;
        at = end;
      }
    }
    const std::string value = unfolded_from(built.value());
    EXPECT_NE(value.find(" <evil@example.org>"), std::string::npos) << value;
    EXPECT_LT(value.size(), 2 * compose::max_display_name_bytes) << value;  // cut, then encoded
  }
}

TEST(NotificationMessage, AddressesTooLongForAPathGetTheFallback) {
  NotificationContent content{std::string(300, 'a') + "@example.org", "rcpt@example.com", "S", {"x"}, nullptr, nullptr,
                              "env@example.org"};
  auto built = build_notification(content);
  ASSERT_TRUE(built.ok());
  EXPECT_NE(unfolded_from(built.value()).find("<env@example.org>"), std::string::npos);
}

std::string decoded_body(const mailmime* part) {
  const mailmime_data* data = part->mm_data.mm_single;
  std::size_t at = 0;
  char* decoded = nullptr;
  std::size_t decoded_size = 0;
  if (mailmime_part_parse(data->dt_data.dt_text.dt_data, data->dt_data.dt_text.dt_length, &at,
                          MAILMIME_MECHANISM_QUOTED_PRINTABLE, &decoded, &decoded_size) != MAILIMF_NO_ERROR) {
    return "(undecodable)";
  }
  std::string body(decoded, decoded_size);
  mailmime_decoded_part_free(decoded);
  return body;
}

TEST(NotificationMessage, ABatchStoresThePreviewAndTheTailOnce) {
  const std::vector<InlineImage> embedded{image("logo.png")};
  const std::string preview = "<p>" + std::string(5000, 'v') + " =end</p>";
  NotificationBatchBuilder builder(preview);
  for (const char* to : {"a@example.com", "b@example.com"}) {
    NotificationContent content{"q@example.org", to, "S", {"<p>hi ", "</p><p>", "bye</p>"}, nullptr, &embedded, ""};
    ASSERT_TRUE(builder.add(content).ok());
  }
  const OutboxBatch batch = std::move(builder).take();
  ASSERT_EQ(batch.shared.size(), 3u);
  ASSERT_EQ(batch.items.size(), 2u);
  std::size_t own_bytes = 0;
  for (const OutboxPiece& piece : batch.items[1].pieces) own_bytes += piece.bytes.size();
  EXPECT_LT(own_bytes, 2500u);  // headers and the template's text (twice) only

  std::string message;
  for (const OutboxPiece& piece : batch.items[1].pieces) {
    message += piece.shared == OutboxPiece::own ? piece.bytes : batch.shared[piece.shared];
  }
  for (const std::string& line : header_lines(message)) EXPECT_LE(line.size(), 78u);
  // libetpan reads the joined message back; its parts decode to the whole bodies.
  std::size_t index = 0;
  mailmime* parsed = nullptr;
  ASSERT_EQ(mailmime_parse(message.data(), message.size(), &index, &parsed), MAILIMF_NO_ERROR);
  clist* alternatives = parsed->mm_data.mm_message.mm_msg_mime->mm_data.mm_multipart.mm_mp_list;
  ASSERT_EQ(clist_count(alternatives), 2);
  auto* text = static_cast<mailmime*>(clist_content(clist_begin(alternatives)));
  auto* related = static_cast<mailmime*>(clist_content(clist_next(clist_begin(alternatives))));
  ASSERT_EQ(clist_count(related->mm_data.mm_multipart.mm_mp_list), 2);
  auto* html = static_cast<mailmime*>(clist_content(clist_begin(related->mm_data.mm_multipart.mm_mp_list)));
  const std::string text_preview = std::string(5000, 'v') + " =end";
  EXPECT_EQ(decoded_body(text), "hi " + text_preview + "\r\n\r\n" + text_preview + "bye");
  EXPECT_EQ(decoded_body(html), "<p>hi " + preview + "</p><p>" + preview + "bye</p>");
  mailmime_free(parsed);
  EXPECT_NE(message.find("To: b@example.com\r\n"), std::string::npos);
}

}  // namespace
}  // namespace qmilter::notification_email
