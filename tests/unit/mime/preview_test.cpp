// make_preview() and find_text_part(): the behaviours beyond the corpus (size cap, options,
// line ends, the no-text note).
#include <gtest/gtest.h>

#include "core/mime/charset_decoder.hpp"
#include "core/mime/preview.hpp"

namespace qmilter::mime {
namespace {

std::string html_message(const std::string& body) {
  return "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body;
}

std::string plain_message(const std::string& body) {
  return "From: a@example.org\nContent-Type: text/plain; charset=utf-8\n\n" + body;
}

TEST(MakePreview, PlainTextBecomesEscapedLinesWithBreaks) {
  const Preview preview = make_preview(plain_message("a < b\r\nc & d\n"), {}, 1024);
  EXPECT_EQ(preview.html, "a &lt; b<br/>\nc &amp; d<br/>\n");
  EXPECT_TRUE(preview.had_text_part);
}

TEST(MakePreview, NoTextPartGivesTheFixedNote) {
  const Preview preview =
      make_preview("From: a@example.org\nContent-Type: application/pdf\n\n%PDF\n", {}, 1024);
  EXPECT_FALSE(preview.had_text_part);
  EXPECT_NE(preview.html.find("no text part"), std::string::npos);
}

TEST(MakePreview, CutsLongTextAtTheCapWithAMarker) {
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "\xC3\xA9t\xC3\xA9 ";  // two-byte characters throughout
  const Preview preview = make_preview(html_message("<div><b>" + body + "</b></div>"), {}, 1000);
  EXPECT_LE(preview.html.size(), 1000u);
  EXPECT_NE(preview.html.find("[preview truncated]"), std::string::npos);
  EXPECT_NE(preview.html.find("</b></div>"), std::string::npos);  // open elements closed
  EXPECT_EQ(preview.html.rfind("<div><b>\xC3\xA9t\xC3\xA9 ", 0), 0u);
}

// The budget is what the reader sees: a newsletter's layout no longer eats it.
TEST(MakePreview, TheTextBudgetCountsTextNotStyles) {
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body += "<table><tr><td style=\"padding:0 0 10px 0;font-family:Arial,Helvetica,sans-serif;line-height:20px;"
            "mso-line-height-rule:exactly;color:#333333\">Item " + std::to_string(i) + "</td></tr></table>";
  }
  const Preview preview = make_preview(html_message(body), {}, 1024 * 1024, 500);
  EXPECT_NE(preview.html.find("Item 40<"), std::string::npos);  // 500 bytes of text: ~60 items
  EXPECT_EQ(preview.html.find("Item 80<"), std::string::npos);
  EXPECT_EQ(preview.html.find("padding"), std::string::npos);  // layout styles dropped
  EXPECT_NE(preview.html.find("style=\"color:#333333\""), std::string::npos);
  EXPECT_NE(preview.html.find("[preview truncated]"), std::string::npos);
}

TEST(MakePreview, HugePartIsCutBeforeDecodingAndStillMarked) {
  const std::string body(3 * 1024 * 1024, 'x');
  const Preview preview = make_preview(plain_message(body), {}, 64 * 1024);
  EXPECT_LE(preview.html.size(), 64u * 1024u);
  EXPECT_NE(preview.html.find("[preview truncated]"), std::string::npos);
}

TEST(MakePreview, ImageOptionsReachTheSanitizer) {
  const std::string message = html_message("<p>x<img src=\"http://t.example/p.gif\"></p>");
  EXPECT_TRUE(make_preview(message, {}, 4096).image_replaced);
  const Preview removed = make_preview(message, {.replace_images = false}, 4096);
  EXPECT_FALSE(removed.image_replaced);
  EXPECT_EQ(removed.html, "<p>x</p>");
  EXPECT_FALSE(make_preview(message, {.replace_images = true, .strip_images = true}, 4096).image_replaced);
}

TEST(MakePreview, ImageCutOffByTheCapIsNotReported) {
  const std::string message = html_message("<p>" + std::string(5000, 'a') + "</p><img src=x>");
  const Preview preview = make_preview(message, {}, 1000);
  EXPECT_EQ(preview.html.find("<img"), std::string::npos);
  EXPECT_FALSE(preview.image_replaced);
}

TEST(FindTextPart, AcceptsLfAndCrlfAlike) {
  const std::string lf = "From: a@example.org\nContent-Type: multipart/alternative; boundary=b\n\n--b\n"
                         "Content-Type: text/plain\n\nplain\n--b\nContent-Type: text/html\n\n<p>html</p>\n--b--\n";
  std::string crlf;
  for (const char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(find_text_part(lf).kind, TextPart::Kind::html);
  EXPECT_EQ(find_text_part(crlf).kind, TextPart::Kind::html);
  EXPECT_NE(find_text_part(crlf).utf8.find("<p>html</p>"), std::string::npos);
}

TEST(FindTextPart, TextWithoutASubtypeIsPlain) {
  // As some ISPs send it: RFC 2045 reads the invalid type as text/plain; the charset stays.
  const TextPart part = find_text_part("From: a@example.org\nMIME-Version: 1.0\nContent-Type: text; charset=koi8-r\n\n"
                                       "\xF0\xD2\xC9\xD7\xC5\xD4 <b>\n");
  EXPECT_EQ(part.kind, TextPart::Kind::plain);
  EXPECT_EQ(part.utf8, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 <b>\n");  // "Привет"
  EXPECT_EQ(find_text_part("Content-Type: text/enriched\n\n<bold>x</bold>\n").kind, TextPart::Kind::none);
}

TEST(FindTextPart, AbsurdNestingIsRefusedNotRecursedInto) {
  // 100k nested message/rfc822 parts overflow libetpan's recursive parser's stack.
  std::string message = "From: a@example.org\n";
  for (int i = 0; i < 100000; ++i) message += "Content-Type: message/rfc822\n\n";
  message += "Content-Type: text/plain\n\ndeep\n";
  EXPECT_EQ(find_text_part(message).kind, TextPart::Kind::none);
  EXPECT_FALSE(make_preview(message, {}, 1024).had_text_part);
}

TEST(FindTextPart, MessagesWithTensOfThousandsOfPartsAreRefused) {
  std::string message = "From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 30000; ++i) message += "--b\nContent-Type: application/x-foo\n\nx\n";
  message += "--b\nContent-Type: text/plain\n\nlast\n--b--\n";
  EXPECT_EQ(find_text_part(message).kind, TextPart::Kind::none);
}

TEST(FindTextPart, ModestNestingIsWalked) {
  std::string message = "From: a@example.org\nContent-Type: multipart/mixed; boundary=b0\n\n";
  for (int i = 0; i < 20; ++i)
    message += "--b" + std::to_string(i) + "\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i + 1) + "\n\n";
  message += "--b20\nContent-Type: text/plain\n\ndeep\n";
  for (int i = 20; i >= 0; --i) message += "--b" + std::to_string(i) + "--\n";
  EXPECT_EQ(find_text_part(message).utf8, "deep");
}

TEST(FindTextPart, EmptyInputIsNotAnError) {
  EXPECT_NO_THROW(find_text_part(""));
  EXPECT_NO_THROW(make_preview("", {}, 100));
}

TEST(DecodeToUtf8, MapsMailLabelsToTheirSupersets) {
  EXPECT_EQ(decode_to_utf8("\x93quoted\x94", "iso-8859-1"), "\xE2\x80\x9Cquoted\xE2\x80\x9D");  // cp1252 quotes
  EXPECT_EQ(decode_to_utf8("\x87\x40", "shift_jis"), "\xE2\x91\xA0");  // CP932 circled one
  EXPECT_EQ(decode_to_utf8("abc", "\"UTF-8\""), "abc");
}

TEST(DecodeToUtf8, UnknownOrBrokenInputDegradesToReplacementCharacters) {
  EXPECT_EQ(decode_to_utf8("a\xE9z", "no-such-charset"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(decode_to_utf8("a\x81z", "windows-1252"), "a\xEF\xBF\xBDz");  // 0x81 is unassigned
  EXPECT_EQ(decode_to_utf8("\x1B$B$3", "iso-2022-jp").substr(0, 3), "\xE3\x81\x93");
}

TEST(SniffHtmlCharset, ReadsBothMetaForms) {
  EXPECT_EQ(sniff_html_charset("<meta charset=\"KOI8-R\">"), "koi8-r");
  EXPECT_EQ(sniff_html_charset("<meta http-equiv=content-type content=\"text/html; charset=windows-1251\">"),
            "windows-1251");
  EXPECT_EQ(sniff_html_charset("<p>no meta</p>"), "");
}

}  // namespace
}  // namespace qmilter::mime
