#include "template_variables.hpp"

#include <gtest/gtest.h>

#include "qmilter/sdk/testing/fake_message.hpp"

namespace qmilter::notification_email {
namespace {

MessageFacts hostile_facts() {
  sdk::testing::FakeMessage message;
  message.sender_value = "bad+guy@example.org";
  message.headers_value = {{"From", "\"<script>alert(1)</script>\" <x@example.org>"},
                           {"Subject", "=?UTF-8?B?w6Q=?= <b>&\r\nBcc: victim@example.com"},
                           {"Date", "Tue, 24 Nov 2026 10:00:00 +0000 <i>"}};
  sdk::Match match;
  match.subject = "Subject: =?UTF-8?B?w6Q=?= <b>";
  match.groups = {std::string("one"), std::nullopt, std::string("<three>")};
  match.named = {{"virus", std::string("Eicar<")}, {"EMAIL_TO", std::string("spoofed")}};
  MessageFacts facts = collect_facts(message, "20240101_ABC", match);
  facts.html_text = "<p>preview</p>";
  facts.attachments = {{"<b>Statement</b>.pdf", "application/pdf", 2048}};
  return facts;
}

TEST(TemplateVariables, AttachmentsDateAndMatchAreShownEscaped) {
  const MessageFacts facts = hostile_facts();  // the variables refer to it
  const TemplateVariables variables(facts, "rcpt@example.com");
  EXPECT_EQ(variables.html("EMAIL_ATTACHMENTS"),
            "<ul><li>&lt;b&gt;Statement&lt;/b&gt;.pdf (application/pdf, 2.0 KiB)</li></ul>");
  EXPECT_EQ(variables.text("EMAIL_ATTACHMENTS"), "<b>Statement</b>.pdf (application/pdf, 2.0 KiB)");
  EXPECT_EQ(variables.html("EMAIL_DATE"), "Tue, 24 Nov 2026 10:00:00 +0000 &lt;i&gt;");
  EXPECT_EQ(variables.html("EMAIL_MATCH"), "Subject: \xC3\xA4 &lt;b&gt;");
  EXPECT_EQ(variables.text("EMAIL_MATCH"), "Subject: \xC3\xA4 <b>");
}

TEST(TemplateVariables, BodyValuesAreEscapedExceptThePreview) {
  const TemplateVariables variables(hostile_facts(), "rcpt@example.com");
  EXPECT_EQ(variables.html("EMAIL_FROM"), "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &lt;x@example.org&gt;");
  EXPECT_EQ(variables.html("EMAIL_SUBJECT"), "ä &lt;b&gt;&amp;Bcc: victim@example.com");
  EXPECT_EQ(variables.html("EMAIL_HTML_TEXT"), "<p>preview</p>");
  EXPECT_EQ(variables.html("EMAIL_ENVELOPE_FROM"), "bad+guy@example.org");
  EXPECT_EQ(variables.html("EMAIL_QUARANTINE_ID"), "20240101_ABC");
  EXPECT_EQ(variables.html("NOPE"), "");
}

TEST(TemplateVariables, LookAlikeWordsInFromAndSubjectAreNamedEscaped) {
  sdk::testing::FakeMessage message;
  // "Amаzon" and "accоunt" with U+0430 / U+043E, Cyrillic; the subject is RFC 2047-encoded.
  message.headers_value = {{"From", "\"Am\xD0\xB0zon<b>\" <x@example.org>"},
                           {"Subject", "=?UTF-8?B?WW91ciBhY2PQvnVudA==?="}};
  const MessageFacts facts = collect_facts(message, "id", sdk::Match{});
  const TemplateVariables variables(facts, "rcpt@example.com");
  EXPECT_EQ(variables.html("EMAIL_FROM_LOOKALIKES"),
            "\xE2\x9A\xA0 possible look-alike: &quot;Am\xD0\xB0zon&quot; has Cyrillic \xD0\xB0 (U+0430) among "
            "Latin letters");
  EXPECT_EQ(variables.text("EMAIL_SUBJECT_LOOKALIKES"),
            "\xE2\x9A\xA0 possible look-alike: \"acc\xD0\xBEunt\" has Cyrillic \xD0\xBE (U+043E) among Latin letters");
  EXPECT_EQ(TemplateVariables(hostile_facts(), "rcpt@example.com").html("EMAIL_SUBJECT_LOOKALIKES"), "");
}

TEST(TemplateVariables, EveryGroupIsNumberedFromZero) {
  const TemplateVariables variables(hostile_facts(), "rcpt@example.com");
  EXPECT_EQ(variables.html("SUBGROUP_0"), "one");
  EXPECT_EQ(variables.html("SUBGROUP_1"), "");
  EXPECT_EQ(variables.html("SUBGROUP_2"), "&lt;three&gt;");
  EXPECT_EQ(variables.html("SUBGROUP_3"), "");
  EXPECT_EQ(variables.html("virus"), "Eicar&lt;");
}

TEST(TemplateVariables, BuiltInNamesWinOverNamedGroups) {
  const TemplateVariables variables(hostile_facts(), "rcpt@example.com");
  EXPECT_EQ(variables.html("EMAIL_TO"), "rcpt@example.com");
}

TEST(TemplateVariables, UrlVariantsAndHeaderValues) {
  const TemplateVariables variables(hostile_facts(), "r+1@example.com");
  EXPECT_EQ(variables.html("EMAIL_TO_URL"), "r%2B1%40example.com");
  EXPECT_EQ(variables.html("EMAIL_ENVELOPE_FROM_URL"), "bad%2Bguy%40example.org");
  EXPECT_EQ(variables.text("EMAIL_SUBJECT"), "ä <b>&Bcc: victim@example.com");
  EXPECT_EQ(variables.text("EMAIL_SUBJECT").find('\n'), std::string::npos);
}

}  // namespace
}  // namespace qmilter::notification_email
