// The SQLite settings whitelist_db makes before its first connection (sqlite_tuning.hpp)
// are in force once it has looked something up. ctest runs every test in its own process,
// where nothing has touched SQLite before the test starts.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "db_whitelist.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"

namespace qmilter::whitelist_db {
namespace {

TEST(SqliteTuning, MemoryStatisticsAreOffOnceTheWhitelistHasLookedUp) {
  if (std::getenv("QMILTER_TEST_WHITELIST_DB") != nullptr) GTEST_SKIP() << "a server run, not SQLite";
  // SQLite counts memory while its statistics are on (the high-water mark stays): something
  // in this process already used it with them on, and the plugin's setting came too late.
  if (sqlite3_memory_highwater(0) != 0) GTEST_SKIP() << "SQLite was used before this test; run it alone";

  char pattern[] = "/tmp/qmilter-sqlite-tuning.XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  {
    sdk::testing::CaptureLogger logger;
    sdk::PluginContext context;
    context.quarantine = "spam";
    context.logger = &logger;
    std::map<std::string, sdk::OptionValue> values{{"whitelist_db_connection", "sqlite:///" + dir + "/wl.db"},
                                                   {"whitelist_db_table", std::string("whitelist")}};
    auto whitelist = DbWhitelist::create(sdk::Options("spam", values), context);
    ASSERT_TRUE(whitelist.ok()) << whitelist.error().message;
    auto found = whitelist.value()->whitelisted("sender@example.org", {"rcpt@example.com"});
    ASSERT_TRUE(found.ok()) << found.error().message;

    // SQLite is initialised (configuring it now is refused) and holds open connections,
    // yet it has counted no memory: the statistics were switched off before it started.
    EXPECT_EQ(sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1), SQLITE_MISUSE);
    EXPECT_EQ(sqlite3_memory_used(), 0);
    EXPECT_EQ(sqlite3_memory_highwater(0), 0);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qmilter::whitelist_db
