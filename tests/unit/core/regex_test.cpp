// Header regexes in Python syntax with Python's flags (IGNORECASE | MULTILINE | DOTALL).
#include <gtest/gtest.h>

#include "core/rules/regex.hpp"

#include <chrono>

namespace qmilter::core {
namespace {

bool matches(const Regex& regex, std::string_view subject) {
  auto searched = regex.search(subject);
  EXPECT_TRUE(searched.ok()) << searched.error().message;
  return searched.ok() && searched.value().match.has_value();
}

// A SpamAssassin report folded over `lines` rule lines; the last one names `last_rule`.
std::string spam_report(int lines, const std::string& last_rule) {
  std::string report = "X-Spam-Report: Content analysis details:   (6.1 points, 5.0 required)";
  for (int i = 0; i < lines; ++i) report += "\n\t*  0.0 URIBL_BLOCKED ADMINISTRATOR NOTICE: The query to URIBL was 1.9";
  return report + "\n\t*  3.5 " + last_rule + " BODY: Bayes spam probability is 99 to 100%";
}

TEST(Regex, SearchesUnanchoredAndIgnoresCase) {
  Regex regex("spam-flag: yes");
  EXPECT_TRUE(matches(regex, "X-Spam-Flag: YES"));
  EXPECT_FALSE(matches(regex, "X-Spam-Flag: NO"));
}

TEST(Regex, MultilineAndDotallAsInPython) {
  EXPECT_TRUE(matches(Regex("^\\s+world"), "Subject: hello\n\tworld"));
  EXPECT_TRUE(matches(Regex("hello.world"), "Subject: hello\nworld"));
  EXPECT_TRUE(matches(Regex("hello\\Z"), "Subject: hello"));
  EXPECT_FALSE(matches(Regex("hello\\Z"), "Subject: hello\n"));  // Python's \Z is the very end
}

TEST(Regex, GroupsAndNamedGroupsAsPythonGivesThem) {
  Regex regex("^X-Spam-Score: (\\d+)(x)?.*?(?P<level>\\*+)");
  auto searched = regex.search("X-Spam-Score: 12 ***");
  ASSERT_TRUE(searched.ok());
  const auto& match = searched.value().match;
  ASSERT_TRUE(match);
  EXPECT_FALSE(searched.value().by_dfa);
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
  EXPECT_TRUE(matches(regex, std::string("Subject: caf\xe9 \xff\xfe")));
  EXPECT_TRUE(matches(Regex("CAFÉ"), "Subject: café"));  // Unicode case folding
}

// A byte past F4 starts no UTF-8 sequence: it is read as Latin-1 like any other stray byte
// (F5 is õ), never handed to PCRE2 as the start of a three-byte character.
TEST(Regex, ReadsLeadBytesPastF4AsLatin1) {
  EXPECT_TRUE(matches(Regex("^Subject: \u00f5\u0080\u0080$"), std::string("Subject: \xF5\x80\x80")));
  EXPECT_TRUE(matches(Regex("^Subject: \u00ff$"), std::string("Subject: \xFF")));
}

TEST(Regex, InvalidPatternsNameTheOffset) {
  try {
    Regex("a(b");
    FAIL();
  } catch (const RegexError& e) {
    EXPECT_EQ(std::string(e.what()), "invalid regex at offset 3: missing closing parenthesis");
  }
}


// The JIT's default 32 KB stack ends `(.|\n)*` after about 1.3 KB of folded header; a
// thread's own JIT stack carries it through a header of Postfix's maximum size.
TEST(Regex, LongFoldedHeadersStillMatch) {
  Regex regex("^X-Spam-Report:(.|\\n)*BAYES_99");
  EXPECT_TRUE(matches(regex, spam_report(25, "BAYES_99")));
  std::string huge = spam_report(1420, "BAYES_99");
  ASSERT_GT(huge.size(), 100'000u);
  auto searched = regex.search(huge);
  ASSERT_TRUE(searched.ok()) << searched.error().message;
  EXPECT_TRUE(searched.value().match);
}

// `(.|\n)*` with DOTALL has two ways through every newline: on a report without the rule
// backtracking is exponential and hits the match limit; the DFA matcher decides instead.
TEST(Regex, CatastrophicBacktrackingIsDecidedByTheDfaMatcher) {
  Regex regex("^X-Spam-Report:(.|\\n)*(?P<rule>BAYES_99)");
  auto clean = regex.search(spam_report(30, "BAYES_00"));
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_FALSE(clean.value().match);
  EXPECT_TRUE(clean.value().by_dfa);

  Regex nested("^Subject: (a+)+$");
  auto not_spam = nested.search("Subject: " + std::string(40, 'a') + "!");
  ASSERT_TRUE(not_spam.ok()) << not_spam.error().message;
  EXPECT_FALSE(not_spam.value().match);
}

// Nested quantifiers over a long run multiply the DFA matcher's states past its bounded
// workspace: undecidable, and answered at once rather than after minutes.
TEST(Regex, TooManyDfaStatesAreAnError) {
  Regex nested("^Subject: (a+)+$");
  auto searched = nested.search("Subject: " + std::string(5000, 'a') + "!");
  ASSERT_FALSE(searched.ok());
  EXPECT_EQ(searched.error().message,
            "PCRE2: match limit exceeded, and the DFA matcher: workspace size exceeded in DFA matching");
}

TEST(Regex, AMatchOnlyTheDfaMatcherFoundHasItsGroupsUnset) {
  // The rule comes first: greedy backtracking starts at the end and never gets back to it.
  Regex regex("^X-Spam-Report:(.|\\n)*(?P<rule>BAYES_99)");
  auto searched = regex.search("X-Spam-Report: * 3.5 BAYES_99" + spam_report(30, "BAYES_00").substr(14));
  ASSERT_TRUE(searched.ok()) << searched.error().message;
  ASSERT_TRUE(searched.value().match);
  EXPECT_TRUE(searched.value().by_dfa);
  EXPECT_EQ(searched.value().match->groups, (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt}));
  ASSERT_EQ(searched.value().match->named.size(), 1u);
  EXPECT_EQ(searched.value().match->named[0].second, std::nullopt);
}

// A back reference is beyond the DFA matcher: past the limits nobody can decide.
TEST(Regex, WhatNeitherMatcherCanDecideIsAnError) {
  Regex regex("^Subject: (a|aa)+\\1b", RegexLimits{10'000, 10'000});
  auto searched = regex.search("Subject: " + std::string(200, 'a'));
  ASSERT_FALSE(searched.ok());
  EXPECT_NE(searched.error().message.find("match limit exceeded"), std::string::npos) << searched.error().message;
}


// PCRE2's match limit counts per start position: runs of `a` each well short of the limit
// (16 a's cost `(a+)+$` some 65,000 steps; 19 would reach the default limit, and then the DFA
// matcher decides at once) cost it thousands of times in one search, about 2 s here. The
// deadline ends the search instead.
TEST(Regex, ADeadlineEndsOneLongSearch) {
  Regex nested("(a+)+$");
  std::string runs = "Subject: ";
  while (runs.size() < 60'000) runs += std::string(16, 'a') + "!";
  auto started = std::chrono::steady_clock::now();
  auto searched = nested.search(runs, started + std::chrono::milliseconds(100));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(searched.ok());
  EXPECT_EQ(searched.error().message, "the deadline passed during the search");
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(Regex, ErrorOffsetsAreThoseOfThePatternAsWritten) {
  try {
    Regex("*abc");
    FAIL();
  } catch (const RegexError& e) {
    EXPECT_EQ(std::string(e.what()), "invalid regex at offset 0: quantifier does not follow a repeatable item");
  }
}

}  // namespace
}  // namespace qmilter::core
