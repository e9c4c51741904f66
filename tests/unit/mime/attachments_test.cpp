// The attachment list of make_preview() and its renderings: names decoded as mail clients
// decode them, declared types, decoded sizes, the body text left out, everything escaped.
#include <gtest/gtest.h>

#include "core/mime/attachments.hpp"
#include "core/mime/preview.hpp"

namespace qmilter::mime {
namespace {

std::string with_parts(const std::string& parts) {
  return "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
         "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the statement.\r\n"
         "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Please see the statement.</p>\r\n"
         "--alt--\r\n" +
         parts + "--b--\r\n";
}

std::vector<Attachment> attachments_of(const std::string& message) { return make_preview(message, {}, 4096).attachments; }

TEST(Attachments, ListsEachAttachmentWithItsTypeAndDecodedSize) {
  const auto list = attachments_of(with_parts(
      "--b\r\nContent-Type: application/PDF; name=\"ignored.pdf\"\r\nContent-Disposition: attachment; "
      "filename=\"Statement.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\nJVBERi0xLjQK\r\n"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].file_name, "Statement.pdf");
  EXPECT_EQ(list[0].content_type, "application/pdf");
  EXPECT_EQ(list[0].size, 18u);  // two base64 lines of 12 symbols
}

TEST(Attachments, NamesAreDecodedFromRfc2231AndEncodedWords) {
  const auto list = attachments_of(with_parts(
      "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
      "filename*=UTF-8''Rechnung%20M%C3%A4rz.zip\r\n\r\nPK\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
      "filename*0*=iso-8859-1''Gr%FC; filename*1=\"sse.txt\"\r\n\r\nx\r\n"
      "--b\r\nContent-Type: image/png; name=\"=?utf-8?B?w6TDtsO8LnBuZw==?=\"\r\n\r\nx\r\n"));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].file_name, "Rechnung M\xC3\xA4rz.zip");
  EXPECT_EQ(list[1].file_name, "Gr\xC3\xBCsse.txt");
  EXPECT_EQ(list[2].file_name, "\xC3\xA4\xC3\xB6\xC3\xBC.png");
}

TEST(Attachments, TheBodyTextAndItsAlternativesAreNotAttachments) {
  EXPECT_TRUE(attachments_of(with_parts("")).empty());
  const auto named_text = attachments_of(
      with_parts("--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; "
                 "filename=notes.txt\r\n\r\nhello\r\n"));
  ASSERT_EQ(named_text.size(), 1u);
  EXPECT_EQ(named_text[0].file_name, "notes.txt");
  EXPECT_EQ(named_text[0].size, 5u);
}

TEST(Attachments, AnAttachedMessageIsListedWholeAndNotOpened) {
  const auto list = attachments_of(
      with_parts("--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@example.org\r\nContent-Type: multipart/mixed; "
                 "boundary=\"in\"\r\n\r\n--in\r\nContent-Type: application/pdf; name=inner.pdf\r\n\r\nx\r\n--in--\r\n"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].content_type, "message/rfc822");
}

TEST(Attachments, RenderingsEscapeWhatTheMessageSays) {
  const std::vector<Attachment> list = {{"<script>.pdf", "application/pdf", 49356}, {"", "image/gif", 1}};
  EXPECT_EQ(attachments_html(list),
            "<ul><li>&lt;script&gt;.pdf (application/pdf, 48.2 KiB)</li><li>(no name) (image/gif, 1 byte)</li></ul>");
  EXPECT_EQ(attachments_text(list), "<script>.pdf (application/pdf, 48.2 KiB); (no name) (image/gif, 1 byte)");
  EXPECT_EQ(attachments_text({}), "none");
  EXPECT_EQ(attachments_html({}), "<p><i>none</i></p>");
}

}  // namespace
}  // namespace qmilter::mime
