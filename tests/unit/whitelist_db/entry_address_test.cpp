// The whitelist's address rules: valid entries, lookup candidates, weights, BATV.
#include <gtest/gtest.h>

#include "entry_address.hpp"

namespace qmilter::whitelist_db {
namespace {

TEST(EntryAddress, CandidatesAreAnyoneDomainAndAddress) {
  EXPECT_EQ(candidates_for("a@example.org"), (std::vector<std::string>{"", "@example.org", "a@example.org"}));
  EXPECT_EQ(candidates_for(""), (std::vector<std::string>{""}));
  EXPECT_EQ(candidates_for("@example.org"), (std::vector<std::string>{"", "@example.org"}));
  EXPECT_EQ(candidates_for("postmaster"), (std::vector<std::string>{"", "postmaster"}));
}

TEST(EntryAddress, WeightsFavourTheBroadestEntry) {
  EXPECT_EQ(field_weight(""), 2);
  EXPECT_EQ(field_weight("@example.org"), 1);
  EXPECT_EQ(field_weight("a@example.org"), 0);
}

TEST(EntryAddress, BatvTagIsStripped) {
  EXPECT_EQ(strip_batv("prvs=1234567890=user@example.org"), "user@example.org");
  EXPECT_EQ(strip_batv("PRVS=0ab12cdef0=user@example.org"), "user@example.org");
  EXPECT_EQ(strip_batv("user@example.org"), "user@example.org");
  EXPECT_EQ(strip_batv("prvs=@example.org"), "prvs=@example.org");
  EXPECT_EQ(strip_batv("prvs=user@example.org"), "prvs=user@example.org");
  EXPECT_EQ(strip_batv(""), "");
}

}  // namespace
}  // namespace qmilter::whitelist_db
