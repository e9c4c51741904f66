// The digest's state on a real directory: what a run recorded is there for the next one,
// a journal line a crash cut short is not, and a finished run keeps only what is held.
#include "core/cli/digest_state.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/cli/digest_command.hpp"

namespace qmilter::cli {
namespace {

namespace fs = std::filesystem;

class DigestStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qmilter-digest-state.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  DigestState open(bool read_only = false) {
    auto state = DigestState::open(dir_, read_only);
    EXPECT_TRUE(state.ok()) << (state.ok() ? "" : state.error().message);
    return std::move(state).value();
  }

  std::string dir_;
};

TEST_F(DigestStateTest, WhatARunRecordedIsReportedForTheNext) {
  {
    DigestState state = open();
    EXPECT_FALSE(state.reported("spam", "id1", "a@example.com"));
    ASSERT_TRUE(state.record("a@example.com", {{"spam", "id1"}, {"spam", "id2"}}).ok());
  }  // no finish(): as if the run had been killed here
  DigestState state = open();
  EXPECT_TRUE(state.reported("spam", "id1", "a@example.com"));
  EXPECT_TRUE(state.reported("spam", "id2", "a@example.com"));
  EXPECT_FALSE(state.reported("spam", "id1", "b@example.com"));
  EXPECT_EQ(state.last_run("spam"), 0);
}

TEST_F(DigestStateTest, AJournalLineCutShortByACrashIsNotRecorded) {
  { ASSERT_TRUE(open().record("a@example.com", {{"spam", "id1"}}).ok()); }
  {
    std::ofstream journal(dir_ + "/digest/journal", std::ios::app);
    journal << "sent\tspam\tid2\tb@exa";  // no '\n': the write never finished
  }
  {
    DigestState state = open();
    EXPECT_TRUE(state.reported("spam", "id1", "a@example.com"));
    EXPECT_FALSE(state.reported("spam", "id2", "b@exa"));
    ASSERT_TRUE(state.record("c@example.com", {{"spam", "id3"}}).ok());
  }
  DigestState state = open();
  EXPECT_TRUE(state.reported("spam", "id3", "c@example.com"));  // not glued to the cut line
}

TEST_F(DigestStateTest, FinishKeepsWhatIsHeldAndOtherQuarantinesAndNotesTheRun) {
  {
    DigestState state = open();
    ASSERT_TRUE(state.record("a@example.com", {{"spam", "kept"}, {"spam", "released"}, {"virus", "other"}}).ok());
    ASSERT_TRUE(state
                    .finish({"spam"}, 1000,
                            [](const std::string&, const std::string& id, const std::string&) { return id == "kept"; })
                    .ok());
  }
  EXPECT_EQ(fs::file_size(dir_ + "/digest/journal"), 0u);
  DigestState state = open(true);
  EXPECT_TRUE(state.reported("spam", "kept", "a@example.com"));
  EXPECT_FALSE(state.reported("spam", "released", "a@example.com"));
  EXPECT_TRUE(state.reported("virus", "other", "a@example.com"));  // not covered by the run
  EXPECT_EQ(state.last_run("spam"), 1000);
  EXPECT_EQ(state.last_run("virus"), 0);
}

TEST_F(DigestStateTest, AnUnreadableStateIsAnErrorNotAFreshStart) {
  fs::create_directories(dir_ + "/digest");
  std::ofstream(dir_ + "/digest/reported") << "garbage line\n";
  EXPECT_FALSE(DigestState::open(dir_, false).ok());
}

TEST(DigestMailbox, OnlyAddressesADigestCanGoTo) {
  EXPECT_TRUE(is_digest_mailbox("user@example.com"));
  EXPECT_TRUE(is_digest_mailbox("first.last+tag@sub.example.org"));
  EXPECT_FALSE(is_digest_mailbox("no-domain"));
  EXPECT_FALSE(is_digest_mailbox("@example.com"));
  EXPECT_FALSE(is_digest_mailbox("user@"));
  EXPECT_FALSE(is_digest_mailbox("a@b@example.com"));
  EXPECT_FALSE(is_digest_mailbox("user@example.com\r\nBcc: x@y"));
  EXPECT_FALSE(is_digest_mailbox("us er@example.com"));
  EXPECT_FALSE(is_digest_mailbox("<user@example.com>"));
  EXPECT_FALSE(is_digest_mailbox("user@exa_mple.com"));
  EXPECT_FALSE(is_digest_mailbox("user@.example.com"));
  EXPECT_FALSE(is_digest_mailbox(std::string(65, 'a') + "@example.com"));
  EXPECT_FALSE(is_digest_mailbox("a@" + std::string(260, 'b')));
}

}  // namespace
}  // namespace qmilter::cli
