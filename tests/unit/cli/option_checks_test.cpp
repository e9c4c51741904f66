// qmilterctl's DAYS and entry id checks: the range, and numbers that do not fit an int64.
#include "core/cli/option_checks.hpp"

#include <gtest/gtest.h>

#include <string>

namespace qmilter::cli {
namespace {

std::string check(const CLI::Validator& validator, std::string text) { return validator(text); }

TEST(OptionChecks, DaysFromZeroToAHundredYears) {
  EXPECT_EQ(check(age_in_days(), "0"), "");
  EXPECT_EQ(check(age_in_days(), "36500"), "");
  for (const char* bad : {"-1", "36501", "200000000000000", "99999999999999999999", "1.5", "", "7d", " 7"}) {
    EXPECT_EQ(check(age_in_days(), bad), "'" + std::string(bad) + "' is not a number of days from 0 to 36500") << bad;
  }
}

TEST(OptionChecks, EntryIdsFromOne) {
  EXPECT_EQ(check(entry_id(), "1"), "");
  EXPECT_EQ(check(entry_id(), "9223372036854775807"), "");
  for (const char* bad : {"0", "-3", "9223372036854775808", "x"}) {
    EXPECT_EQ(check(entry_id(), bad), "'" + std::string(bad) + "' is not a whitelist entry id (a whole number from 1 up)")
        << bad;
  }
}

}  // namespace
}  // namespace qmilter::cli
