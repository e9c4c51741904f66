// The outbox's file protocol: atomic appearance, exclusive claims, settle by remove/fail.
#include "outbox.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace qmilter::notification_email {
namespace {

namespace fs = std::filesystem;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qmilter-outbox-XXXXXX";
    dir_ = ::mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

TEST_F(OutboxTest, PutThenClaimGivesBackEnvelopeAndMessage) {
  const Outbox outbox(dir_.string());
  auto name = outbox.put({"env@example.org", "rcpt@example.com", "QID1", 1700000000}, "Subject: x\r\n\r\nbody\r\n");
  ASSERT_TRUE(name.ok()) << name.error().message;
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending.value(), std::vector<std::string>{name.value()});

  auto claimed = outbox.claim(name.value());
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(claimed.value().has_value());
  EXPECT_EQ(claimed.value()->envelope().envelope_from, "env@example.org");
  EXPECT_EQ(claimed.value()->envelope().recipient, "rcpt@example.com");
  EXPECT_EQ(claimed.value()->envelope().queue_id, "QID1");
  EXPECT_EQ(claimed.value()->envelope().created, 1700000000);
  EXPECT_EQ(claimed.value()->message(), "Subject: x\r\n\r\nbody\r\n");

  // While it is claimed nobody else gets it.
  auto second = outbox.claim(name.value());
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second.value().has_value());

  ASSERT_TRUE(outbox.remove(std::move(*claimed.value())).ok());
  EXPECT_TRUE(outbox.pending().value().empty());
  // A claim on a file that went away is no claim.
  auto gone = outbox.claim(name.value());
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone.value().has_value());
}

TEST_F(OutboxTest, PutClaimedIsLockedFromTheStart) {
  const Outbox outbox(dir_.string());
  auto entry = outbox.put_claimed({"", "rcpt@example.com", "Q", 1}, "m");
  ASSERT_TRUE(entry.ok());
  auto other = outbox.claim(entry.value().name());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.value().has_value());
}

TEST_F(OutboxTest, FailMovesTheFileWithItsReason) {
  const Outbox outbox(dir_.string());
  auto name = outbox.put({"", "rcpt@example.com", "Q", 1}, "m");
  ASSERT_TRUE(name.ok());
  auto claimed = outbox.claim(name.value());
  ASSERT_TRUE(claimed.ok() && claimed.value().has_value());
  ASSERT_TRUE(outbox.fail(std::move(*claimed.value()), "550 5.1.1 no such user").ok());
  EXPECT_TRUE(outbox.pending().value().empty());
  EXPECT_TRUE(fs::exists(dir_ / "failed" / name.value()));
  EXPECT_EQ(slurp(dir_ / "failed" / (name.value() + ".reason")), "550 5.1.1 no such user\n");
}

TEST_F(OutboxTest, GarbageIsMovedAsideNotSent) {
  const Outbox outbox(dir_.string());
  std::ofstream(dir_ / "0000000000000001-deadbeef.msg") << "hello";
  auto claimed = outbox.claim("0000000000000001-deadbeef.msg");
  ASSERT_FALSE(claimed.ok());
  EXPECT_NE(claimed.error().message.find("moved to failed/"), std::string::npos) << claimed.error().message;
  EXPECT_TRUE(fs::exists(dir_ / "failed" / "0000000000000001-deadbeef.msg"));
}

TEST_F(OutboxTest, TempFilesAreNotPendingAndAnUnwritableDirIsAnError) {
  const Outbox outbox(dir_.string());
  std::ofstream(dir_ / ".tmp-0000000000000001-deadbeef.msg") << "partial";
  EXPECT_TRUE(outbox.pending().value().empty());
  const Outbox missing((dir_ / "nope").string());
  auto put = missing.put({"", "r@example.com", "Q", 1}, "m");
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.error().message.find("outbox: cannot create"), std::string::npos);
}

}  // namespace
}  // namespace qmilter::notification_email
