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
  EXPECT_TRUE(id_problem(std::string(201, 'a')));
}

TEST(QuarantineId, TemporaryNamesAreRecognised) {
  EXPECT_TRUE(is_temporary_name(".qmilter-abc.tmp"));
  EXPECT_FALSE(is_temporary_name("20231114221320_Q"));
}

}  // namespace
}  // namespace qmilter::quarantine_file
