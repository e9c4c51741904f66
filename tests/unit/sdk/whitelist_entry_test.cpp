// The linear whitelist entry check against the regex it replaces, on every short string
// of the characters that matter, and on input far past the column's size.
#include "qmilter/sdk/whitelist_entry.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace qmilter::sdk {
namespace {

TEST(WhitelistEntry, AgreesWithThePatternOnEveryShortString) {
  const std::regex pattern(R"(^[a-zA-Z0-9_.+-]*?(@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+)?$)");
  const std::string alphabet = "aZ9.@-_+ /";
  std::string text;
  // Every string of up to 6 characters over the alphabet, as an odometer.
  std::vector<std::size_t> digits;
  for (;;) {
    text.clear();
    for (std::size_t d : digits) text += alphabet[d];
    ASSERT_EQ(!whitelist_entry_problem(text), std::regex_match(text, pattern)) << "'" << text << "'";
    std::size_t position = 0;
    while (position < digits.size() && ++digits[position] == alphabet.size()) digits[position++] = 0;
    if (position == digits.size()) {
      if (digits.size() == 6) break;
      digits.push_back(0);
    }
  }
}

TEST(WhitelistEntry, FollowsThePythonPattern) {
  for (const char* valid : {"", "@example.org", "user@example.org", "first.last+tag@mail.example.co.uk", "local-only",
                            "a_b@x-y.z"}) {
    EXPECT_FALSE(whitelist_entry_problem(valid)) << valid;
  }
  for (const char* invalid : {"@", "user@", "user@localhost", "@.org", "o'brien@example.org", "a b@example.org",
                              "user@exa_mple.org", "a@b@c.org", "x\"@example.org", "'; DROP TABLE whitelist; --"}) {
    EXPECT_TRUE(whitelist_entry_problem(invalid)) << invalid;
  }
}

TEST(WhitelistEntry, AcceptsAnyoneDomainsAndAddresses) {
  for (const char* good : {"", "@example.org", "user@example.org", "first.last+tag@mail.example.co.uk", "local"}) {
    EXPECT_FALSE(whitelist_entry_problem(good)) << good;
  }
}

TEST(WhitelistEntry, LengthIsLimitedToTheColumnWithoutRecursion) {
  EXPECT_FALSE(whitelist_entry_problem(std::string(243, 'a') + "@example.org"));  // 255
  auto problem = whitelist_entry_problem(std::string(244, 'a') + "@example.org");
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, "it is 256 characters long, at most 255 fit");
  EXPECT_TRUE(whitelist_entry_problem(std::string(10'000'000, 'a')));
}

}  // namespace
}  // namespace qmilter::cli
