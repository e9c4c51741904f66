// The linear whitelist entry check against the regex it replaces, on every short string
// of the characters that matter, and on input far past the column's size.
#include "core/cli/whitelist_entry_check.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace qmilter::cli {
namespace {

TEST(WhitelistEntryCheck, AgreesWithThePatternOnEveryShortString) {
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

TEST(WhitelistEntryCheck, AcceptsAnyoneDomainsAndAddresses) {
  for (const char* good : {"", "@example.org", "user@example.org", "first.last+tag@mail.example.co.uk", "local"}) {
    EXPECT_FALSE(whitelist_entry_problem(good)) << good;
  }
}

TEST(WhitelistEntryCheck, LengthIsLimitedToTheColumnWithoutRecursion) {
  EXPECT_FALSE(whitelist_entry_problem(std::string(243, 'a') + "@example.org"));  // 255
  auto problem = whitelist_entry_problem(std::string(244, 'a') + "@example.org");
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, "it is 256 characters long, at most 255 fit");
  EXPECT_TRUE(whitelist_entry_problem(std::string(10'000'000, 'a')));
}

}  // namespace
}  // namespace qmilter::cli
