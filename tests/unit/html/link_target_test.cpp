// link_target(), host_named_in() and names_other_host(): which host a link reaches, parsed
// the way browsers parse it, and when its text claims another.
#include <gtest/gtest.h>

#include "core/html/link_target.hpp"

namespace qmilter::html {
namespace {

TEST(LinkTarget, IsTheHostWithoutUserinfoPortOrPath) {
  EXPECT_EQ(link_target("https://Login.Example.COM:8443/a/b?c#d"), "login.example.com");
  EXPECT_EQ(link_target("http://paypal.com@evil.example/"), "evil.example");
  EXPECT_EQ(link_target("http://a@b@evil.example/"), "evil.example");
  EXPECT_EQ(link_target("http://45.178.180.51/redir25.php"), "45.178.180.51");
  EXPECT_EQ(link_target("http://[2001:db8::1]:80/"), "[2001:db8::1]");
}

TEST(LinkTarget, ReadsTheHrefAsBrowsersDo) {
  EXPECT_EQ(link_target("  \x01https://evil.example/ "), "evil.example");
  EXPECT_EQ(link_target("ht\ntp://ev\til.example/"), "evil.example");
  EXPECT_EQ(link_target("http:\\\\evil.example\\x"), "evil.example");
  EXPECT_EQ(link_target("https:evil.example"), "evil.example");
  EXPECT_EQ(link_target("//evil.example/x"), "evil.example");
  EXPECT_EQ(link_target("http://%65vil.example/"), "evil.example");
  EXPECT_EQ(link_target("http://evil.example./"), "evil.example");
}

TEST(LinkTarget, MailtoShowsTheMailDomain) {
  EXPECT_EQ(link_target("mailto:Abuse@Foreign.Example?subject=report"), "mailto:foreign.example");
  EXPECT_EQ(link_target("MAILTO:a@x.example,b@y.example"), "mailto:x.example");
}

TEST(LinkTarget, OtherSchemesShowTheScheme) {
  EXPECT_EQ(link_target("javascript:alert(1)"), "javascript:");
  EXPECT_EQ(link_target("JaVaScRiPt:alert(1)"), "javascript:");
  EXPECT_EQ(link_target("data:text/html,<script>"), "data:");
  EXPECT_EQ(link_target("tel:+4912345"), "tel:");
}

TEST(LinkTarget, SameDocumentAndRelativeLinksHaveNone) {
  for (const char* href : {"#", "#top", "/path", "page.html", "?q=1", ""}) EXPECT_EQ(link_target(href), "") << href;
}

TEST(HostNamedIn, FindsTheFirstHostLikeWord) {
  EXPECT_EQ(host_named_in("Visit www.Vivo.com.br today"), "www.vivo.com.br");
  EXPECT_EQ(host_named_in("https://paypal.com/login"), "paypal.com");
  EXPECT_EQ(host_named_in("go to 45.178.180.51."), "45.178.180.51");
  EXPECT_EQ(host_named_in("Click here. Or not."), "");
  EXPECT_EQ(host_named_in("version 1.5"), "");
}

TEST(NamesOtherHost, SameHostSubdomainAndParentAreNotOther) {
  EXPECT_FALSE(names_other_host("paypal.com", "www.paypal.com"));
  EXPECT_FALSE(names_other_host("www.paypal.com", "paypal.com"));
  EXPECT_FALSE(names_other_host("example.org", "mailto:example.org"));
  EXPECT_FALSE(names_other_host("", "evil.example"));
}

TEST(NamesOtherHost, ADifferentHostIs) {
  EXPECT_TRUE(names_other_host("netflix.com", "netflix-account.run.app"));
  EXPECT_TRUE(names_other_host("paypal.com", "paypal.com.evil.example"));
  EXPECT_TRUE(names_other_host("vivo.com.br", "45.178.180.51"));
  EXPECT_TRUE(names_other_host("example.org", "mailto:foreign.example"));
}

}  // namespace
}  // namespace qmilter::html
