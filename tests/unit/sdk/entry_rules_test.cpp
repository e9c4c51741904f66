// The store contract's two shared rules: which strings are quarantine ids, and which
// entries a filter selects (the definition stores and qmilterctl both apply).
#include <gtest/gtest.h>

#include <limits>

#include "qmilter/sdk/entry_id.hpp"
#include "qmilter/sdk/store.hpp"

namespace qmilter::sdk {
namespace {

constexpr std::int64_t now = 1'700'000'000;
constexpr std::int64_t day = 86400;

StoredEntry entry_at(std::int64_t date) {
  StoredEntry entry;
  entry.id = "e";
  entry.mailfrom = "s@example.org";
  entry.recipients = {"a@example.com", "b@example.com"};
  entry.date = date;
  return entry;
}

EntryFilter older_than(std::int64_t days) {
  EntryFilter filter;
  filter.older_than_days = days;
  return filter;
}

TEST(EntryId, PlainNamesUpToTheLimitAreIds) {
  EXPECT_FALSE(entry_id_problem("20231114221320_4ABC12DEF_2"));
  EXPECT_FALSE(entry_id_problem("a.b-c_d"));
  EXPECT_FALSE(entry_id_problem(std::string(max_entry_id_length, 'a')));
}

TEST(EntryId, NothingThatCouldNameAnotherFileIsAnId) {
  for (const char* bad : {"", "../etc/passwd", "/etc/passwd", "a/b", ".", "..", ".hidden", "a b", "a\nb", "x\\y"}) {
    EXPECT_TRUE(entry_id_problem(bad)) << "accepted '" << bad << "'";
  }
  EXPECT_TRUE(entry_id_problem(std::string(max_entry_id_length + 1, 'a')));
}

TEST(EntryMatches, AnEmptyFilterSelectsEverything) { EXPECT_TRUE(entry_matches({}, entry_at(now), now)); }

TEST(EntryMatches, SenderAndRecipientAreOneOfTheGivenValues) {
  EntryFilter filter;
  filter.from = {"x@example.org", "s@example.org"};
  EXPECT_TRUE(entry_matches(filter, entry_at(now), now));
  filter.to = {"b@example.com"};
  EXPECT_TRUE(entry_matches(filter, entry_at(now), now));
  filter.to = {"c@example.com"};
  EXPECT_FALSE(entry_matches(filter, entry_at(now), now));
  filter.to.clear();
  filter.from = {"S@example.org"};
  EXPECT_FALSE(entry_matches(filter, entry_at(now), now)) << "exact: the CLI lower-cases what the admin typed";
}

TEST(EntryMatches, AgeIsAtLeastTheGivenDays) {
  EXPECT_TRUE(entry_matches(older_than(0), entry_at(now), now));
  EXPECT_FALSE(entry_matches(older_than(30), entry_at(now), now));
  EXPECT_FALSE(entry_matches(older_than(30), entry_at(now - 30 * day + 1), now));
  EXPECT_TRUE(entry_matches(older_than(30), entry_at(now - 30 * day), now));
  EXPECT_FALSE(entry_matches(older_than(1), entry_at(now + day), now)) << "a date in the future is young";
}

TEST(EntryMatches, AgesThatOverflowSaturateInsteadOfSelectingEverything) {
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max() / 1000;
  EXPECT_FALSE(entry_matches(older_than(huge), entry_at(0), now));
  EXPECT_TRUE(entry_matches(older_than(1), entry_at(std::numeric_limits<std::int64_t>::min()), now));
  EXPECT_FALSE(entry_matches(older_than(1), entry_at(std::numeric_limits<std::int64_t>::max()), -now));
}

}  // namespace
}  // namespace qmilter::sdk
