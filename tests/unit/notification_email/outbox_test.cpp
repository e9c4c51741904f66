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
  auto names = outbox.put({{{"env@example.org", "rcpt@example.com", "QID1", 1700000000}, "Subject: x\r\n\r\nbody\r\n"}});
  ASSERT_TRUE(names.ok()) << names.error().message;
  ASSERT_EQ(names.value().size(), 1u);
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending.value(), names.value());
  const std::string name = names.value()[0];

  auto claimed = outbox.claim(name);
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(claimed.value().has_value());
  EXPECT_EQ(claimed.value()->envelope().envelope_from, "env@example.org");
  EXPECT_EQ(claimed.value()->envelope().recipient, "rcpt@example.com");
  EXPECT_EQ(claimed.value()->envelope().queue_id, "QID1");
  EXPECT_EQ(claimed.value()->envelope().created, 1700000000);
  EXPECT_EQ(claimed.value()->message(), "Subject: x\r\n\r\nbody\r\n");

  // While it is claimed nobody else gets it.
  auto second = outbox.claim(name);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second.value().has_value());

  ASSERT_TRUE(outbox.remove(std::move(*claimed.value())).ok());
  EXPECT_TRUE(outbox.pending().value().empty());
  // A claim on a file that went away is no claim.
  auto gone = outbox.claim(name);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone.value().has_value());
}

TEST_F(OutboxTest, PutClaimedIsLockedFromTheStart) {
  const Outbox outbox(dir_.string());
  auto entries = outbox.put_claimed({{{"", "a@example.com", "Q", 1}, "m1"}, {{"", "b@example.com", "Q", 1}, "m2"}});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries.value().size(), 2u);
  EXPECT_EQ(entries.value()[1].envelope().recipient, "b@example.com");
  EXPECT_EQ(entries.value()[1].message(), "m2");
  for (const ClaimedEntry& entry : entries.value()) {
    auto other = outbox.claim(entry.name());
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other.value().has_value());
  }
}

TEST_F(OutboxTest, PutQueuesTheWholeBatchAndLeavesNothingOnFailure) {
  const Outbox outbox(dir_.string());
  auto names = outbox.put({{{"", "a@example.com", "Q", 1}, "m1"}, {{"", "b@example.com", "Q", 1}, "m2"}});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(outbox.pending().value().size(), 2u);
  // A directory where nothing can be created: no file, no temp file is left behind.
  fs::create_directory(dir_ / "ro");
  const Outbox readonly((dir_ / "ro" / "missing").string());
  EXPECT_FALSE(readonly.put({{{"", "a@example.com", "Q", 1}, "m1"}}).ok());
  EXPECT_TRUE(fs::is_empty(dir_ / "ro"));
}

TEST_F(OutboxTest, FailMovesTheFileWithItsReason) {
  const Outbox outbox(dir_.string());
  auto names = outbox.put({{{"", "rcpt@example.com", "Q", 1}, "m"}});
  ASSERT_TRUE(names.ok());
  const std::string name = names.value()[0];
  auto claimed = outbox.claim(name);
  ASSERT_TRUE(claimed.ok() && claimed.value().has_value());
  ASSERT_TRUE(outbox.fail(std::move(*claimed.value()), "550 5.1.1 no such user").ok());
  EXPECT_TRUE(outbox.pending().value().empty());
  EXPECT_TRUE(fs::exists(dir_ / "failed" / name));
  EXPECT_EQ(slurp(dir_ / "failed" / (name + ".reason")), "550 5.1.1 no such user\n");
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
  auto put = missing.put({{{"", "r@example.com", "Q", 1}, "m"}});
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.error().message.find("outbox: cannot create"), std::string::npos);
}

}  // namespace
}  // namespace qmilter::notification_email
