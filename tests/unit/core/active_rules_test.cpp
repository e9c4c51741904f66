// ignore_hosts is evaluated per connection and never changes the shared configuration.
#include <gtest/gtest.h>

#include "core/dispatch/active_rules.hpp"
#include "test_files.hpp"

namespace qmilter::core {
namespace {

TEST(ActiveRules, IgnoredClientLosesOnlyThatQuarantineForItsOwnConnection) {
  test::ScratchDir dir;
  std::string file = dir.write("q.conf",
                               "[global]\nquarantines = virus, spam\npreferred_quarantine_action = first\n"
                               "quarantine_type = none\nnotification_type = none\nwhitelist_type = none\n"
                               "action = discard\nsmtp_host = h\nsmtp_port = 25\n"
                               "[virus]\nregex = v\n[spam]\nregex = s\nignore_hosts = 127.0.0.2, 2001:db8::/32\n");
  auto config = load_config(LoadRequest{{file}, sdk::Role::check, QMILTER_TEST_PLUGIN_DIR});

  auto ignored = rules_for_client(*config, "127.0.0.2");
  ASSERT_EQ(ignored.size(), 1u);
  EXPECT_EQ(*ignored[0].name, "virus");

  auto next_client = rules_for_client(*config, "127.0.0.3");  // the next client is filtered again
  ASSERT_EQ(next_client.size(), 2u);
  EXPECT_EQ(next_client[1].index, 1u);

  EXPECT_EQ(rules_for_client(*config, "2001:db8::25").size(), 1u);
  EXPECT_EQ(rules_for_client(*config, "").size(), 2u);  // local submission: nothing to ignore
  EXPECT_EQ(config->quarantines.size(), 2u);
}

}  // namespace
}  // namespace qmilter::core
