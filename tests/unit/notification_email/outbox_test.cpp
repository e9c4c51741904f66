// The outbox's file protocol: atomic appearance, exclusive claims, per-recipient progress.
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

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  const OutboxEnvelope envelope_{"env@example.org", "QID1", 1700000000};
  const OutboxBatch two_{{},
                         {OutboxItem::whole("a@example.com", "Subject: a\r\n\r\nfor a\r\n"),
                          OutboxItem::whole("b@example.com", "Subject: b\r\n\r\nfor b\r\n")}};
  fs::path dir_;
};

TEST_F(OutboxTest, PutThenClaimGivesBackEnvelopeAndMessages) {
  const Outbox outbox(dir_.string());
  auto name = outbox.put(envelope_, two_);
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(files(), std::vector<std::string>{name.value()});  // one file, no temp left
  ASSERT_EQ(outbox.pending().value(), std::vector<std::string>{name.value()});

  auto claimed = outbox.claim(name.value());
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(claimed.value().has_value());
  const ClaimedEntry& entry = *claimed.value();
  EXPECT_EQ(entry.envelope().envelope_from, "env@example.org");
  EXPECT_EQ(entry.envelope().queue_id, "QID1");
  EXPECT_EQ(entry.envelope().created, 1700000000);
  ASSERT_EQ(entry.recipients().size(), 2u);
  EXPECT_EQ(entry.recipients()[1].address, "b@example.com");
  EXPECT_EQ(entry.message(entry.recipients()[1]).value(), "Subject: b\r\n\r\nfor b\r\n");
  EXPECT_FALSE(entry.recipients()[0].done);

  // While it is claimed nobody else gets it.
  auto second = outbox.claim(name.value());
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second.value().has_value());
}

TEST_F(OutboxTest, ProgressSurvivesAndTheFileGoesWhenDone) {
  const Outbox outbox(dir_.string());
  const std::string name = outbox.put(envelope_, two_).value();
  {
    auto claimed = outbox.claim(name);
    ASSERT_TRUE(claimed.ok() && claimed.value().has_value());
    ASSERT_TRUE(outbox.mark_delivered(*claimed.value(), 0).ok());
  }  // lock released, as when a sender gives up for now (or dies)
  auto again = outbox.claim(name);
  ASSERT_TRUE(again.ok() && again.value().has_value());
  EXPECT_TRUE(again.value()->recipients()[0].done);
  EXPECT_FALSE(again.value()->recipients()[1].done);
  ASSERT_TRUE(outbox.mark_delivered(*again.value(), 1).ok());
  ASSERT_TRUE(outbox.remove(std::move(*again.value())).ok());
  EXPECT_TRUE(files().empty());
  auto gone = outbox.claim(name);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone.value().has_value());
}

TEST_F(OutboxTest, PutClaimedIsLockedFromTheStart) {
  const Outbox outbox(dir_.string());
  auto entry = outbox.put_claimed(envelope_, two_);
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry.value().message(entry.value().recipients()[1]).value(), "Subject: b\r\n\r\nfor b\r\n");
  auto other = outbox.claim(entry.value().name());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.value().has_value());
}

TEST_F(OutboxTest, AFailedRecipientIsKeptInFailedWithTheReason) {
  const Outbox outbox(dir_.string());
  const std::string name = outbox.put(envelope_, two_).value();
  auto claimed = outbox.claim(name);
  ASSERT_TRUE(claimed.ok() && claimed.value().has_value());
  ASSERT_TRUE(outbox.mark_failed(*claimed.value(), 1, "550 5.1.1 no such user").ok());
  EXPECT_TRUE(claimed.value()->recipients()[1].done);
  EXPECT_EQ(slurp(dir_ / "failed" / (name + ".1.eml")), "Subject: b\r\n\r\nfor b\r\n");
  EXPECT_EQ(slurp(dir_ / "failed" / (name + ".1.reason")),
            "550 5.1.1 no such user\nenvelope from: <env@example.org>\nrecipient: <b@example.com>\n");
}

TEST_F(OutboxTest, GarbageIsMovedAsideNotSent) {
  const Outbox outbox(dir_.string());
  std::ofstream(dir_ / "0000000000000001-deadbeef.msg") << "hello";
  auto claimed = outbox.claim("0000000000000001-deadbeef.msg");
  ASSERT_FALSE(claimed.ok());
  EXPECT_NE(claimed.error().message.find("moved to failed/"), std::string::npos) << claimed.error().message;
  EXPECT_TRUE(fs::exists(dir_ / "failed" / "0000000000000001-deadbeef.msg"));
}

TEST_F(OutboxTest, TruncatedFilesAreGarbageToo) {
  const Outbox outbox(dir_.string());
  const std::string name = outbox.put(envelope_, two_).value();
  fs::resize_file(dir_ / name, fs::file_size(dir_ / name) - 3);
  auto claimed = outbox.claim(name);
  ASSERT_FALSE(claimed.ok());
  EXPECT_NE(claimed.error().message.find("truncated message"), std::string::npos) << claimed.error().message;
}

TEST_F(OutboxTest, LeftoversAreCleanedTempFilesAreNotPending) {
  const Outbox outbox(dir_.string());
  std::ofstream(dir_ / ".qmilter-abcdef123456.tmp") << "partial";
  std::ofstream(dir_ / ".tmp-0000000000000001-deadbeef.msg") << "partial";  // an earlier qmilter's name
  std::ofstream(dir_ / "0000000000000002-deadbeef.msg.0.done");  // its file is gone
  EXPECT_TRUE(outbox.pending().value().empty());
  outbox.remove_leftovers(3600);
  EXPECT_EQ(files(), (std::vector<std::string>{".qmilter-abcdef123456.tmp", ".tmp-0000000000000001-deadbeef.msg"}))
      << "too young to go";
  outbox.remove_leftovers(-1);
  EXPECT_TRUE(files().empty());
}

TEST_F(OutboxTest, SharedPiecesAreStoredOnceAndJoinedPerRecipient) {
  const Outbox outbox(dir_.string());
  const std::string preview(100000, 'p');
  OutboxBatch batch{{preview, "--tail--"}, {}};
  for (const char* address : {"a@example.com", "b@example.com", "c@example.com"}) {
    batch.items.push_back({address,
                           {{OutboxPiece::own, std::string("To: ") + address + "\r\n\r\n"},
                            {0, {}},
                            {OutboxPiece::own, "end"},
                            {1, {}}}});
  }
  const std::string name = outbox.put(envelope_, batch).value();
  EXPECT_LT(fs::file_size(dir_ / name), preview.size() + 1000);  // the preview once, not three times
  auto claimed = outbox.claim(name);
  ASSERT_TRUE(claimed.ok() && claimed.value().has_value());
  const ClaimedEntry& entry = *claimed.value();
  ASSERT_EQ(entry.recipients().size(), 3u);
  EXPECT_EQ(entry.message(entry.recipients()[2]).value(), "To: c@example.com\r\n\r\n" + preview + "end--tail--");
  std::size_t chunks = 0;
  ASSERT_TRUE(entry.read_message(entry.recipients()[0], [&](std::string_view chunk) {
    EXPECT_LE(chunk.size(), 64u * 1024);
    ++chunks;
    return true;
  }).ok());
  EXPECT_GE(chunks, 4u);  // streamed from the file, the preview in two chunks
}

TEST_F(OutboxTest, FilesOfTheFirstFormatAreStillRead) {
  const Outbox outbox(dir_.string());
  const std::string a = "Subject: a\r\n\r\nfor a\r\n";
  std::ofstream(dir_ / "0000000000000001-00000001.msg", std::ios::binary)
      << "QMILTER-NOTIFICATION 1\n"
      << R"({"envelope_from":"env@example.org","queue_id":"Q","created":1,"recipients":[{"address":"a@example.com","length":)"
      << a.size() << "}]}\n"
      << a;
  auto claimed = outbox.claim("0000000000000001-00000001.msg");
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_TRUE(claimed.value().has_value());
  EXPECT_EQ(claimed.value()->message(claimed.value()->recipients()[0]).value(), a);
}

TEST_F(OutboxTest, AnUnwritableDirectoryIsAnError) {
  const Outbox missing((dir_ / "nope").string());
  auto put = missing.put(envelope_, two_);
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.error().message.find("outbox: cannot open " + (dir_ / "nope").string()), std::string::npos)
      << put.error().message;
}

}  // namespace
}  // namespace qmilter::notification_email
