// Header regexes in Python syntax with Python's flags (IGNORECASE | MULTILINE | DOTALL).
#include <gtest/gtest.h>

#include "core/rules/regex.hpp"

namespace qmilter::core {
namespace {

TEST(Regex, SearchesUnanchoredAndIgnoresCase) {
  Regex regex("spam-flag: yes");
  EXPECT_TRUE(regex.search("X-Spam-Flag: YES"));
  EXPECT_FALSE(regex.search("X-Spam-Flag: NO"));
}

TEST(Regex, MultilineAndDotallAsInPython) {
  EXPECT_TRUE(Regex("^\\s+world").search("Subject: hello\n\tworld"));
  EXPECT_TRUE(Regex("hello.world").search("Subject: hello\nworld"));
  EXPECT_TRUE(Regex("hello\\Z").search("Subject: hello"));
  EXPECT_FALSE(Regex("hello\\Z").search("Subject: hello\n"));  // Python's \Z is the very end
}

TEST(Regex, GroupsAndNamedGroupsAsPythonGivesThem) {
  Regex regex("^X-Spam-Score: (\\d+)(x)?.*?(?P<level>\\*+)");
  auto match = regex.match("X-Spam-Score: 12 ***");
  ASSERT_TRUE(match);
  EXPECT_EQ(match->subject, "X-Spam-Score: 12 ***");
  ASSERT_EQ(match->groups.size(), 3u);
  EXPECT_EQ(match->groups[0], "12");
  EXPECT_EQ(match->groups[1], std::nullopt);  // did not take part: Python's None
  EXPECT_EQ(match->groups[2], "***");
  ASSERT_EQ(match->named.size(), 1u);
  EXPECT_EQ(match->named[0].first, "level");
  EXPECT_EQ(match->named[0].second, "***");
}

TEST(Regex, SearchesHeadersThatAreNotUtf8) {
  Regex regex("caf.");
  EXPECT_TRUE(regex.search(std::string("Subject: caf\xe9 \xff\xfe")));
  EXPECT_TRUE(Regex("CAFÉ").search("Subject: café"));  // Unicode case folding
}

TEST(Regex, InvalidPatternsNameTheOffset) {
  try {
    Regex("a(b");
    FAIL();
  } catch (const RegexError& e) {
    EXPECT_EQ(std::string(e.what()), "invalid regex at offset 3: missing closing parenthesis");
  }
}

}  // namespace
}  // namespace qmilter::core
