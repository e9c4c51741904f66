// to_plain_text(): what a text-only client shows of a notification — blocks on lines of
// their own, cells side by side, template links with their address, the sanitized
// preview's link targets as the bracketed text the sanitizer wrote.
#include <gtest/gtest.h>

#include "core/html/plain_text.hpp"
#include "core/html/sanitizer.hpp"

namespace qmilter::html {
namespace {

TEST(PlainText, ADocumentShowsItsBodyNotItsHead) {
  const std::string text = to_plain_text(
      "<!DOCTYPE html><html><head><meta charset=\"UTF-8\"><title>Hidden title</title>"
      "<style>p { color: red }</style></head><body><h1>Quarantine notification</h1>\n"
      "<p>A message was\n   held.</p><script>alert(1)</script></body></html>");
  EXPECT_EQ(text, "Quarantine notification\n\nA message was held.");
}

TEST(PlainText, TableRowsAreLinesWithTheirCellsSideBySide) {
  EXPECT_EQ(to_plain_text("<table>\n <tr>\n  <td><b>From:</b></td>\n  <td>a@example.org</td>\n </tr>\n"
                          " <tr><td><b>To:</b></td><td>b@example.org</td></tr></table><p>after</p>"),
            "From: a@example.org\nTo: b@example.org\n\nafter");
}

TEST(PlainText, NestedBlocksGiveOneLineBreakAndAtMostOneEmptyLine) {
  EXPECT_EQ(to_plain_text("<div><div><div>one</div></div></div><div><div>two</div></div>"), "one\ntwo");
  EXPECT_EQ(to_plain_text("<p>one</p><p></p><p></p><br><br><br><br><p>two</p>"), "one\n\ntwo");
  EXPECT_EQ(to_plain_text("line<br>next<br/>last"), "line\nnext\nlast");
}

TEST(PlainText, TemplateLinksShowTheirAddressUnlessTheTextIsIt) {
  EXPECT_EQ(to_plain_text("<p><a href=\"https://q.example/r?t=1&amp;u=2\">Review this message</a></p>"),
            "Review this message <https://q.example/r?t=1&u=2>");
  EXPECT_EQ(to_plain_text("<a href=\"https://q.example/\">https://q.example/</a>"), "https://q.example/");
  EXPECT_EQ(to_plain_text("<a href=\"#\">same page</a> <a href=\"\">empty</a>"), "same page empty");
}

TEST(PlainText, TheSanitizedPreviewShowsEachLinkTargetInBrackets) {
  const std::string preview =
      sanitize("<p>Pay at <a href=\"http://45.178.180.51/redir25.php\">vivo.com.br</a> or "
               "<a href=\"https://www.example.org/x\">here</a>.</p>",
               {})
          .html;
  EXPECT_EQ(to_plain_text(preview),
            "Pay at vivo.com.br [\xE2\x9A\xA0 45.178.180.51, not vivo.com.br] or here [www.example.org].");
}

TEST(PlainText, ListsAreBulletedAndNumbered) {
  EXPECT_EQ(to_plain_text("<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul>"),
            "* one\n* two\n\n  1. a\n  2. b");
}

TEST(PlainText, PreformattedTextKeepsItsSpaces) {
  EXPECT_EQ(to_plain_text("<p>x</p><pre>a   b\n  c</pre>"), "x\n\na   b\n  c");
}

TEST(PlainText, InvisiblePaddingGoesAndNoBreakSpacesAreSpaces) {
  EXPECT_EQ(to_plain_text("<p>Hello&nbsp;&nbsp;there&zwnj;&nbsp;&#8203;&#xFEFF;&shy;&zwnj;</p><p>next</p>"),
            "Hello there\n\nnext");
}

TEST(PlainText, EntitiesAreDecodedAndMarkupInTextStaysText) {
  EXPECT_EQ(to_plain_text("<p>&lt;script&gt; &amp; &quot;Gr&uuml;&szlig;e&quot;</p>"),
            "<script> & \"Gr\xC3\xBC\xC3\x9F" "e\"");
}

TEST(PlainText, InvalidUtf8IsRepaired) {
  EXPECT_EQ(to_plain_text("<p>a\xFF" "b</p>"), "a\xEF\xBF\xBD" "b");
}

TEST(PlainText, ImagesShowTheirAltText) {
  EXPECT_EQ(to_plain_text("<p><img src=\"cid:logo\" alt=\"Company logo\"> text <img src=\"x\"></p>"),
            "[Company logo] text");
}

TEST(PlainText, EmptyOrInvisibleInputGivesNothing) {
  EXPECT_EQ(to_plain_text(""), "");
  EXPECT_EQ(to_plain_text("<html><head><title>t</title></head><body> \n </body></html>"), "");
}

}  // namespace
}  // namespace qmilter::html
