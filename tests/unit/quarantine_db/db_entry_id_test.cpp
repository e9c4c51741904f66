// Ids of the db store: date first, the queue id, 64 random bits; always a valid SDK id.
#include "db_entry_id.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "qmilter/sdk/entry_id.hpp"

namespace qmilter::quarantine_db {
namespace {

TEST(DbEntryId, DateFirstThenQueueIdThenRandomHex) {
  const std::string id = make_entry_id(1700000000, "4ABC12DEF");
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9]{14}_4ABC12DEF_[0-9a-f]{16}"))) << id;
}

TEST(DbEntryId, SameQueueIdSameSecondGivesDifferentIds) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(make_entry_id(1700000000, "SAMEQID"));
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(DbEntryId, OddOrLongQueueIdsStillGiveValidIds) {
  for (const std::string& queue_id : {std::string("a/b c.d"), std::string(""), std::string(400, 'Q'), std::string("..")}) {
    const std::string id = make_entry_id(1700000000, queue_id);
    EXPECT_FALSE(sdk::entry_id_problem(id)) << id << ": " << sdk::entry_id_problem(id).value_or("");
  }
}

}  // namespace
}  // namespace qmilter::quarantine_db
