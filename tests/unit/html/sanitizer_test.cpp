// sanitize() and escape(): the sanitizer's rules, one behaviour per test.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/html/sanitizer.hpp"

namespace qmilter::html {
namespace {

std::string clean(std::string_view html, SanitizeOptions options = {}) { return sanitize(html, options).html; }

TEST(Sanitize, KeepsAllowedElementsAndTheirAllowedAttributes) {
  EXPECT_EQ(clean("<table border=1 cellpadding=\"2\"><tr><td colspan=2 align=left>x</td></tr></table>"),
            "<table border=\"1\" cellpadding=\"2\"><tr><td colspan=\"2\" align=\"left\">x</td></tr></table>");
  EXPECT_EQ(clean("<font face=Arial color=red size=2>f</font>"), "<font face=\"Arial\" color=\"red\" size=\"2\">f</font>");
}

TEST(Sanitize, DropsEventHandlersAndUnknownAttributes) {
  EXPECT_EQ(clean("<b onclick=\"alert(1)\" class=x data-x=1>hi</b>"), "<b>hi</b>");
}

TEST(Sanitize, RemovesDangerousElementsWithTheirContent) {
  EXPECT_EQ(clean("a<script>alert(1)</script>b<style>p{}</style>c<iframe>i</iframe>d"), "abcd");
  EXPECT_EQ(clean("a<form><b>inside</b></form>b<svg><text>s</text></svg>c"), "abc");
  EXPECT_EQ(clean("a<noscript>n</noscript><template>t</template><textarea>x</textarea>b"), "ab");
}

TEST(Sanitize, UnwrapsOtherElementsKeepingTheirContent) {
  EXPECT_EQ(clean("<article><section>text <abbr title=t>a</abbr></section></article>"), "text a");
  EXPECT_EQ(clean("<o:p>&nbsp;</o:p>"), "\xC2\xA0");
}

constexpr std::string_view kTarget = " <span style=\"font:small monospace;color:#555;background:#fff\">";
constexpr std::string_view kOtherHost = " <span style=\"font:bold small monospace;color:#b00;background:#fff\">";

std::string target_note(std::string_view text, std::string_view style = kTarget) {
  return std::string(style).append(text).append("</span>");
}

TEST(Sanitize, LinksPointNowhereAndShowTheirTargetAsText) {
  EXPECT_EQ(clean("<a href=\"http://example.com/\" title=t>x</a>"),
            "<a href=\"#\" title=\"t\">x</a>" + target_note("[example.com]"));
  EXPECT_EQ(clean("<a href=\"javascript:alert(1)\">x</a>"), "<a href=\"#\">x</a>" + target_note("[javascript:]"));
  EXPECT_EQ(clean("<a href=\"mailto:abuse@evil.example?subject=x\">Report the user</a>"),
            "<a href=\"#\">Report the user</a>" + target_note("[mailto:evil.example]"));
  EXPECT_EQ(clean("<a name=top>x</a><a href=\"#top\">up</a><a href=\"/path\">rel</a>"),
            "<a name=\"top\">x</a><a href=\"#\">up</a><a href=\"#\">rel</a>");
}

TEST(Sanitize, LinkTextNamingAnotherHostIsMarked) {
  EXPECT_EQ(clean("<a href=\"http://45.178.180.51/redir25.php\">www.vivo.com.br</a>"),
            "<a href=\"#\">www.vivo.com.br</a>" +
                target_note("[\xE2\x9A\xA0 45.178.180.51, not www.vivo.com.br]", kOtherHost));
  EXPECT_EQ(clean("<a href=\"https://www.vivo.com.br/conta\"><b>vivo.com.br</b></a>"),
            "<a href=\"#\"><b>vivo.com.br</b></a>" + target_note("[www.vivo.com.br]"));
}

TEST(Sanitize, LookAlikeLettersInALinkAreNamed) {
  // "Amаzon" with U+0430 CYRILLIC SMALL LETTER A, in the text and in an IDN target.
  const std::string note = target_note(
      "[\xE2\x9A\xA0 possible look-alike: &quot;Am\xD0\xB0zon&quot; has Cyrillic \xD0\xB0 (U+0430) among Latin letters]",
      kOtherHost);
  EXPECT_EQ(clean("<a href=\"https://shop.example/\">Am\xD0\xB0zon</a>"),
            "<a href=\"#\">Am\xD0\xB0zon</a>" + target_note("[shop.example]") + note);
  EXPECT_EQ(clean("<a href=\"https://am%D0%B0zon.example/\">Shop</a>"),
            "<a href=\"#\">Shop</a>" + target_note("[am\xD0\xB0zon.example]") +
                target_note("[\xE2\x9A\xA0 possible look-alike: &quot;am\xD0\xB0zon&quot; has Cyrillic \xD0\xB0 "
                            "(U+0430) among Latin letters]",
                            kOtherHost));
  EXPECT_EQ(clean("<a href=\"https://shop.example/\">Amazon</a>"), "<a href=\"#\">Amazon</a>" + target_note("[shop.example]"));
  const std::string once = clean("<p><a href=\"https://shop.example/\">Am\xD0\xB0zon</a></p>");
  EXPECT_EQ(clean(once), once);
}

TEST(Sanitize, TheTargetIsEscapedText) {
  EXPECT_EQ(clean("<a href=\"http://a&lt;b&gt;&quot;.example/\">x</a>"),
            "<a href=\"#\">x</a>" + target_note("[a&lt;b&gt;&quot;.example]"));
}

TEST(Sanitize, LinkTargetsSurviveASecondRoundUnchanged) {
  const std::string once = clean("<p><a href=\"http://evil.example/\">paypal.com</a> and <a href=x>y</a></p>");
  EXPECT_EQ(clean(once), once);
}

TEST(Sanitize, RemoteImagesAreReplacedOrRemoved) {
  const SanitizeResult replaced = sanitize("<img src=\"http://t.example/p.gif\" width=1 title=t>", {});
  EXPECT_EQ(replaced.html, "<img src=\"cid:removed_for_security_reasons\" width=\"16\" height=\"16\" title=\"t\"/>");
  EXPECT_TRUE(replaced.image_replaced);

  const SanitizeResult removed = sanitize("x<img src=\"http://t.example/p.gif\">y", {.replace_images = false});
  EXPECT_EQ(removed.html, "xy");
  EXPECT_FALSE(removed.image_replaced);

  const SanitizeResult stripped = sanitize("x<img src=\"cid:a\">y", {.replace_images = true, .strip_images = true});
  EXPECT_EQ(stripped.html, "xy");
  EXPECT_FALSE(stripped.image_replaced);
}

TEST(Sanitize, ThePlaceholderIsSmallAndTheAltTextShownBesideIt) {
  EXPECT_EQ(clean("<img src=\"http://t.example/banner.png\" width=\"600\" height=\"300\" style=\"width:600px\" "
                  "alt=\"Your <account> is locked\">"),
            "<img src=\"cid:removed_for_security_reasons\" width=\"16\" height=\"16\"/>"
            "<span style=\"font:small sans-serif;color:#555\">[image: Your &lt;account&gt; is locked]</span>");
  EXPECT_EQ(clean("<img src=x alt=\" \">"), "<img src=\"cid:removed_for_security_reasons\" width=\"16\" height=\"16\"/>");
  const std::string long_alt(300, 'a');
  const std::string out = clean("<img src=x alt=\"\xC3\xA4" + long_alt + "\">");
  EXPECT_NE(out.find("[image: \xC3\xA4" + std::string(198, 'a') + "]"), std::string::npos) << out;
  EXPECT_EQ(clean(out), out);
}

TEST(Sanitize, NoImageNoReplacementFlag) { EXPECT_FALSE(sanitize("<b>x</b>", {}).image_replaced); }

TEST(Sanitize, DangerousStylesAreDroppedHarmlessOnesKept) {
  EXPECT_EQ(clean("<p style=\"color: red\">x</p>"), "<p style=\"color:red\">x</p>");
  EXPECT_EQ(clean("<p style=\"background:url(http://t/x.gif)\">x</p>"), "<p>x</p>");
  EXPECT_EQ(clean("<p style=\"width:e\\78pression(alert(1))\">x</p>"), "<p>x</p>");
  EXPECT_EQ(clean("<p style=\"x:exp/**/ression(1)\">x</p>"), "<p>x</p>");
}

TEST(Sanitize, CommentsIncludingConditionalOnesAreRemoved) {
  EXPECT_EQ(clean("a<!-- c -->b<!--[if mso]><b>x</b><![endif]-->c"), "abc");
}

TEST(Sanitize, OutlookRevealedConditionalsAreRemovedLikeComments) {
  EXPECT_EQ(clean("a<![if !mso]>b<![endif]>c<![IF gte mso 9]>d<![ENDIF]>"), "abcd");
  EXPECT_EQ(clean("<!--[if mso]>x<![endif]-->y<!--[if mso]>z<![endif]-->"), "y");
  EXPECT_EQ(clean("a<![ifx]>b"), clean("a<![ifx]>b"));  // not a conditional: the parser decides
}

TEST(Sanitize, TextAndAttributesAreFullyEscaped) {
  EXPECT_EQ(clean("<p title='a\"b&lt;'>1 &lt; 2 &amp; 3 &gt; 0 \"q\" 'a'</p>"),
            "<p title=\"a&quot;b&lt;\">1 &lt; 2 &amp; 3 &gt; 0 &quot;q&quot; &#39;a&#39;</p>");
}

TEST(Sanitize, InvalidUtf8AndControlsBecomeReplacementCharacters) {
  EXPECT_EQ(clean("a\xFF" "b\x01" "c"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
  EXPECT_EQ(clean(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
}

TEST(Sanitize, LeadingTextIsNotWrappedInAParagraph) { EXPECT_EQ(clean("hello <b>x</b>"), "hello <b>x</b>"); }

TEST(Sanitize, DocumentShellIsUnwrappedAndHeadDropped) {
  EXPECT_EQ(clean("<!DOCTYPE html><html><head><title>T</title><meta charset=x></head>"
                  "<body bgcolor=red><p>p</p></body></html>"),
            "<p>p</p>");
}

TEST(Sanitize, IsAFixedPointOnTrickyNesting) {
  for (const char* input : {"<p><x><div>d</div></x></p>", "<a href=#><x><a href=#>n</a></x></a>",
                            "<table><x><tr><td>c</td></tr></x></table>", "<li><x><li>i</li></x></li>",
                            "<pre>\n\nx</pre>", "<p>a&#13;b</p>"}) {
    const std::string once = clean(input);
    EXPECT_EQ(clean(once), once) << input;
  }
}

TEST(Sanitize, AttributesPastTheLimitOfATagAreIgnored) {
  std::string many;
  for (int i = 0; i < 300; ++i) many += " a" + std::to_string(i) + "=\"1\"";
  EXPECT_EQ(clean("<p title=t" + many + ">x</p>"), "<p title=\"t\">x</p>");
  EXPECT_EQ(clean("<p" + many + " title=t>x</p><b>after</b>"), "<p>x</p><b>after</b>");
}

TEST(Sanitize, NestingPastTheLimitEndsTheOutputWithEverythingClosed) {
  std::string deep;
  for (int i = 0; i < 600; ++i) deep += "<div>";
  const std::string out = clean(deep + "lost text");
  EXPECT_EQ(out.find("lost"), std::string::npos);
  std::size_t opened = 0, closed = 0;
  for (std::size_t p = out.find("<div>"); p != std::string::npos; p = out.find("<div>", p + 1)) ++opened;
  for (std::size_t p = out.find("</div>"); p != std::string::npos; p = out.find("</div>", p + 1)) ++closed;
  EXPECT_EQ(opened, closed);
  EXPECT_GT(opened, 500u);
  EXPECT_LE(opened, 512u);
  EXPECT_EQ(clean(out), out);
}

TEST(Sanitize, ConcurrentCallsAgree) {  // the milter calls it from many threads at once
  const std::string input = "<table><tr><td style=\"color:red\">x &amp; y<img src=http://t/p.gif></td></tr></table>";
  const std::string expected = clean(input);
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) results[t] = clean(input + std::string(static_cast<std::size_t>(i % 3), ' '));
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& result : results) EXPECT_EQ(result.substr(0, expected.size()), expected);
}

TEST(Sanitize, EmptyInputGivesEmptyOutput) { EXPECT_EQ(clean(""), ""); }

TEST(Escape, EscapesTheFiveCharacters) {
  EXPECT_EQ(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(escape("plain"), "plain");
}

}  // namespace
}  // namespace qmilter::html
