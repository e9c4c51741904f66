// carry_out with real plugins: a failure after storing removes what was stored, so the
// MTA's retry does not leave a second copy behind.
#include <gtest/gtest.h>

#include "core/dispatch/outcome.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"
#include "test_files.hpp"

namespace qmilter::core {
namespace {

TEST(Outcome, FailedNotificationRemovesTheStoredEntry) {
  test::ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "quarantine");
  std::string file = dir.write("q.conf",
                               "[global]\nquarantines = spam\npreferred_quarantine_action = first\n"
                               "[spam]\nregex = ^X-Spam-Flag: YES\nquarantine_type = file\n"
                               "quarantine_directory = quarantine\nnotification_type = " QMILTER_TEST_FIXTURE_DIR
                               "/test_plugin_failing_notifier.so\nwhitelist_type = none\naction = discard\n"
                               "smtp_host = 127.0.0.1\nsmtp_port = 25\n");
  auto config = load_config(LoadRequest{{file}, sdk::Role::check, QMILTER_TEST_PLUGIN_DIR});
  sdk::testing::FakeMessage message;
  Evaluation evaluation{{Assignment{0, sdk::Match{"X-Spam-Flag: YES", {}, {}}, {"rcpt@example.com"}}}, {}, {}};

  auto outcome = carry_out(*config, evaluation, message);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, "quarantine 'spam': notifying failed: outbox not writable");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "quarantine"));
}

}  // namespace
}  // namespace qmilter::core
