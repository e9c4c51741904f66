// Which ids the FILE store makes and which it accepts from an admin.
#include "quarantine_id.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace qmilter::quarantine_file {
namespace {

TEST(QuarantineId, IsLocalTimestampAndQueueId) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(make_id(1700000000, "4ABC12DEF"), "20231114221320_4ABC12DEF");
}

TEST(QuarantineId, QueueIdCharactersThatCouldFormAPathBecomeUnderscores) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(make_id(1700000000, "../a/b c"), "20231114221320____a_b_c");
}

TEST(QuarantineId, CollisionCandidatesAreNumbered) {
  EXPECT_EQ(id_candidate("20231114221320_Q", 0), "20231114221320_Q");
  EXPECT_EQ(id_candidate("20231114221320_Q", 1), "20231114221320_Q_2");
  EXPECT_EQ(id_candidate("20231114221320_Q", 2), "20231114221320_Q_3");
}

TEST(QuarantineId, AcceptsPlainEntryNames) {
  EXPECT_FALSE(id_problem("20231114221320_4ABC12DEF"));
  EXPECT_FALSE(id_problem("20231114221320_4ABC12DEF_2"));
  EXPECT_FALSE(id_problem("a.b-c_d"));
}

TEST(QuarantineId, RefusesAnythingThatIsNotAPlainEntryName) {
  for (const char* bad : {"", "../x", "/etc/passwd", "a/b", ".", "..", ".hidden", "x.metadata", "a b", "a\nb",
                          "x\\y"}) {
    EXPECT_TRUE(id_problem(bad)) << "accepted '" << bad << "'";
  }
  EXPECT_TRUE(id_problem(std::string(max_id_length + 1, 'a')));
}

TEST(QuarantineId, TheLongestIdAndItsMetadataFileAreFileNames) {
  EXPECT_FALSE(id_problem(std::string(max_id_length, 'a')));
  EXPECT_LE(max_id_length + metadata_suffix.size(), 255u);  // NAME_MAX
}

TEST(QuarantineId, ALongQueueIdKeepsItsStartAndEndsInAHash) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  for (std::size_t length : {227u, 260u, 100000u}) {
    const std::string queue_id(length, 'Q');
    const std::string id = make_id(1700000000, queue_id);
    EXPECT_EQ(id.rfind("20231114221320_QQQQQQQQQQ", 0), 0u) << id;
    const std::string tail = id.substr(id.size() - 17);
    EXPECT_EQ(tail[0], '_') << id;
    EXPECT_EQ(tail.find_first_not_of("0123456789abcdef", 1), std::string::npos) << id;
    EXPECT_EQ(id.size(), max_id_length - 5) << "room for the collision suffix _1000";
    EXPECT_FALSE(id_problem(id_candidate(id, max_id_attempts - 1)));
    EXPECT_EQ(id_candidate(id, max_id_attempts - 1).size(), max_id_length);
  }
}

TEST(QuarantineId, QueueIdsThatFitAreKeptWhole) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const std::string longest(max_id_length - 5 - 15, 'Q');  // 15: the timestamp and '_'
  EXPECT_EQ(make_id(1700000000, longest), "20231114221320_" + longest);
  EXPECT_NE(make_id(1700000000, longest + "Q"), "20231114221320_" + longest + "Q");
}

TEST(QuarantineId, LongQueueIdsWithTheSameStartGetDifferentIds) {
  const std::string start(300, 'Q');
  EXPECT_NE(make_id(1700000000, start + "A"), make_id(1700000000, start + "B"));
  EXPECT_EQ(make_id(1700000000, start + "A"), make_id(1700000000, start + "A"));
}

}  // namespace
}  // namespace qmilter::quarantine_file
