// The DB whitelist against a real database: SQLite (a file in a temp dir) by default, or the
// server QMILTER_TEST_WHITELIST_DB names (test_whitelist_db_backends.py runs this program
// against PostgreSQL and MariaDB). Each test uses its own table, dropped first.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connection_pool.hpp"
#include "connection_string.hpp"
#include "db_whitelist.hpp"
#include "local_time.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::whitelist_db {
namespace {

using sdk::Role;

// pyquarantine's whitelist table, as the Python ORM created it.
const char* const python_ddl =
    "CREATE TABLE \"whitelist\" (\"id\" INTEGER NOT NULL PRIMARY KEY, \"mailfrom\" VARCHAR(255) NOT NULL, "
    "\"recipient\" VARCHAR(255) NOT NULL, \"created\" DATETIME NOT NULL, \"last_used\" DATETIME NOT NULL, "
    "\"comment\" TEXT NOT NULL, \"permanent\" INTEGER NOT NULL)";
const char* const python_index =
    "CREATE UNIQUE INDEX \"whitelistmodel_spam_mailfrom_recipient\" ON \"whitelist\" (\"mailfrom\", \"recipient\")";

class DbWhitelistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("QMILTER_TEST_WHITELIST_DB");
    if (url != nullptr && *url != '\0') {
      url_ = url;
    } else {
      char pattern[] = "/tmp/qmilter-wldb.XXXXXX";
      ASSERT_NE(mkdtemp(pattern), nullptr);
      dir_ = pattern;
      url_ = "sqlite:///" + dir_ + "/whitelist.db";
    }
    table_ = "wl_" + sdk::ascii_lower(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto parsed = odbc::parse_connection_string(url_, "", 5, {"whitelist_db_connection", "whitelist_db_timeout"});
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    raw_ = std::make_unique<odbc::OdbcConnection>(parsed.value().odbc, 5, parsed.value().password);
    raw_->execute("DROP TABLE IF EXISTS " + q(table_));
  }

  void TearDown() override {
    // QMILTER_TEST_KEEP_TABLE: the backends test inspects the table the plugin created.
    if (raw_ && std::getenv("QMILTER_TEST_KEEP_TABLE") == nullptr) raw_->execute("DROP TABLE IF EXISTS " + q(table_));
    raw_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool sqlite() const { return raw_->family() == odbc::DbmsFamily::sqlite; }
  std::string q(const std::string& identifier) const {
    return raw_->family() == odbc::DbmsFamily::mysql ? "`" + identifier + "`" : "\"" + identifier + "\"";
  }

  std::unique_ptr<DbWhitelist> make(std::int64_t expire_days = 0, Role role = Role::daemon, std::string url = {}) {
    std::map<std::string, sdk::OptionValue> values{{"whitelist_db_connection", url.empty() ? url_ : url},
                                                   {"whitelist_db_table", table_},
                                                   {"whitelist_db_timeout", std::int64_t{3}},
                                                   {"whitelist_expire_days", expire_days}};
    sdk::PluginContext context;
    context.quarantine = "spam";
    context.role = role;
    context.logger = &logger_;
    auto made = DbWhitelist::create(sdk::Options("spam", values), context);
    EXPECT_TRUE(made.ok()) << made.error().message;
    return made.ok() ? std::move(made).value() : nullptr;
  }

  std::int64_t add(DbWhitelist& wl, const std::string& from, const std::string& to, bool permanent = false) {
    sdk::WhitelistEntry entry;
    entry.mailfrom = from;
    entry.recipient = to;
    entry.comment = "test";
    entry.permanent = permanent;
    auto id = wl.add(entry);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? id.value() : -1;
  }

  void set_last_used(std::int64_t id, const std::string& when) {
    raw_->execute("UPDATE " + q(table_) + " SET " + q("last_used") + " = ? WHERE " + q("id") + " = ?",
                  {odbc::SqlParam::of_timestamp(when), odbc::SqlParam::of_integer(id)});
  }

  std::string last_used(std::int64_t id) {
    auto rows = raw_->execute("SELECT " + q("last_used") + " FROM " + q(table_) + " WHERE " + q("id") + " = ?",
                              {odbc::SqlParam::of_integer(id)});
    return rows.empty() ? "" : rows[0][0].value_or("");
  }

  std::set<std::string> whitelisted(DbWhitelist& wl, const std::string& sender, std::vector<std::string> rcpts) {
    auto result = wl.whitelisted(sender, rcpts);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? result.value() : std::set<std::string>{"<error>"};
  }

  std::string url_;
  std::string dir_;
  std::string table_;
  std::unique_ptr<odbc::OdbcConnection> raw_;
  sdk::testing::CaptureLogger logger_;
};

const char* const old_date = "2020-01-02 03:04:05.000000";

TEST_F(DbWhitelistTest, CreatesTheTableWhenMissingAndWhitelistsNobody) {
  auto wl = make();
  ASSERT_TRUE(wl);
  EXPECT_TRUE(raw_->table_exists(table_));
  EXPECT_TRUE(whitelisted(*wl, "a@example.org", {"b@example.com"}).empty());
}

TEST_F(DbWhitelistTest, ExactPairMatchesOnlyThatPair) {
  auto wl = make();
  add(*wl, "friend@example.org", "me@example.com");
  EXPECT_EQ(whitelisted(*wl, "friend@example.org", {"me@example.com", "other@example.com"}),
            (std::set<std::string>{"me@example.com"}));
  EXPECT_TRUE(whitelisted(*wl, "stranger@example.org", {"me@example.com"}).empty());
}

TEST_F(DbWhitelistTest, DomainAndAnyoneEntriesMatch) {
  auto wl = make();
  add(*wl, "@partner.example", "sales@example.com");
  add(*wl, "", "postmaster@example.com");
  add(*wl, "boss@example.org", "@example.net");
  EXPECT_EQ(whitelisted(*wl, "anyone@partner.example", {"sales@example.com", "x@example.com"}),
            (std::set<std::string>{"sales@example.com"}));
  EXPECT_EQ(whitelisted(*wl, "", {"postmaster@example.com"}), (std::set<std::string>{"postmaster@example.com"}));
  EXPECT_EQ(whitelisted(*wl, "boss@example.org", {"a@example.net", "b@example.net", "c@example.com"}),
            (std::set<std::string>{"a@example.net", "b@example.net"}));
}

TEST_F(DbWhitelistTest, AnswersInTheCallersSpellingAndIgnoresCase) {
  auto wl = make();
  add(*wl, "Friend@Example.org", "me@example.com");
  EXPECT_EQ(whitelisted(*wl, "FRIEND@example.ORG", {"Me@Example.com", "me@example.com"}),
            (std::set<std::string>{"Me@Example.com", "me@example.com"}));
}

TEST_F(DbWhitelistTest, TheHeaviestMatchGetsLastUsed) {
  auto wl = make();
  std::int64_t exact = add(*wl, "a@example.org", "b@example.com");
  std::int64_t domain = add(*wl, "@example.org", "b@example.com");
  std::int64_t anyone = add(*wl, "", "@example.com");
  for (std::int64_t id : {exact, domain, anyone}) set_last_used(id, old_date);
  EXPECT_EQ(whitelisted(*wl, "a@example.org", {"b@example.com"}).size(), 1u);
  EXPECT_EQ(last_used(exact).substr(0, 19), "2020-01-02 03:04:05");
  EXPECT_EQ(last_used(domain).substr(0, 19), "2020-01-02 03:04:05");
  EXPECT_NE(last_used(anyone).substr(0, 4), "2020");
}

TEST_F(DbWhitelistTest, LastUsedIsWrittenAtMostOncePerMinuteAndEntry) {
  auto wl = make();
  std::int64_t id = add(*wl, "a@example.org", "b@example.com");
  set_last_used(id, old_date);
  EXPECT_EQ(whitelisted(*wl, "a@example.org", {"b@example.com"}).size(), 1u);
  EXPECT_NE(last_used(id).substr(0, 4), "2020");
  set_last_used(id, old_date);
  EXPECT_EQ(whitelisted(*wl, "a@example.org", {"b@example.com"}).size(), 1u);
  EXPECT_EQ(last_used(id).substr(0, 4), "2020");  // this process wrote it seconds ago
}

TEST_F(DbWhitelistTest, ExpiredEntriesStopMatchingUnlessPermanentAndPurgeRemovesThem) {
  auto wl = make(30);
  std::int64_t stale = add(*wl, "old@example.org", "me@example.com");
  std::int64_t kept = add(*wl, "vip@example.org", "me@example.com", true);
  std::int64_t fresh = add(*wl, "new@example.org", "me@example.com");
  set_last_used(stale, old_date);
  set_last_used(kept, old_date);
  EXPECT_TRUE(whitelisted(*wl, "old@example.org", {"me@example.com"}).empty());
  EXPECT_EQ(whitelisted(*wl, "vip@example.org", {"me@example.com"}).size(), 1u);
  EXPECT_EQ(whitelisted(*wl, "new@example.org", {"me@example.com"}).size(), 1u);

  auto purged = wl->purge();
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(purged.value(), 1);
  auto left = wl->list({});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left.value().size(), 2u);
  EXPECT_EQ(left.value()[0].id, kept);
  EXPECT_TRUE(left.value()[0].permanent);
  EXPECT_EQ(left.value()[1].id, fresh);
  EXPECT_FALSE(left.value()[1].permanent);
}

TEST_F(DbWhitelistTest, WithoutExpiryOldEntriesStillMatch) {
  auto wl = make(0);
  set_last_used(add(*wl, "old@example.org", "me@example.com"), old_date);
  EXPECT_EQ(whitelisted(*wl, "old@example.org", {"me@example.com"}).size(), 1u);
  auto purged = wl->purge();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged.value(), 0);
}

TEST_F(DbWhitelistTest, BatvTagOfTheSenderIsStripped) {
  auto wl = make();
  add(*wl, "news@example.org", "me@example.com");
  EXPECT_EQ(whitelisted(*wl, "prvs=4123abcdef=news@example.org", {"me@example.com"}).size(), 1u);
}

TEST_F(DbWhitelistTest, SqlMetacharactersAndQuotesArePlainData) {
  auto wl = make();
  // add() refuses such entries; the table may still hold them (written by other tools).
  const std::string evil = "o'brien\"; drop table " + table_ + "; --@example.org";
  WhitelistTable table(table_, "spam");
  sdk::WhitelistEntry entry;
  entry.mailfrom = evil;
  entry.recipient = "me@example.com";
  entry.comment = "it's \"quoted\" \\ and ; -- not SQL, Grüße 日本";
  table.insert(*raw_, entry, local_timestamp_now());
  EXPECT_EQ(whitelisted(*wl, evil, {"me@example.com"}).size(), 1u);
  EXPECT_TRUE(whitelisted(*wl, "' or '1'='1", {"me@example.com", "' or ''='"}).empty());
  EXPECT_TRUE(whitelisted(*wl, "x@example.org", {"me@example.com') or ('1'='1"}).empty());
  auto listed = wl->list({{evil}, {}, std::nullopt});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed.value().size(), 1u);
  EXPECT_EQ(listed.value()[0].mailfrom, evil);
  EXPECT_EQ(listed.value()[0].comment, entry.comment);
}

TEST_F(DbWhitelistTest, AddValidatesAndRefusesDuplicates) {
  auto wl = make();
  sdk::WhitelistEntry bad;
  bad.mailfrom = "o'brien@example.org";
  bad.recipient = "me@example.com";
  auto refused = wl->add(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("invalid whitelist entry 'o'brien@example.org'"), std::string::npos);

  std::int64_t id = add(*wl, "a@example.org", "B@Example.com");
  sdk::WhitelistEntry again;
  again.mailfrom = "A@example.org";
  again.recipient = "b@example.com";
  auto duplicate = wl->add(again);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("already exists (id " + std::to_string(id) + ")"), std::string::npos);

  auto listed = wl->list({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed.value().size(), 1u);
  const sdk::WhitelistEntry& stored = listed.value()[0];
  EXPECT_EQ(stored.recipient, "b@example.com");
  EXPECT_EQ(stored.comment, "test");
  EXPECT_TRUE(std::regex_match(stored.created, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?)"))) << stored.created;
}

TEST_F(DbWhitelistTest, RemoveDeletesByIdAndNamesAMissingId) {
  auto wl = make();
  std::int64_t id = add(*wl, "a@example.org", "b@example.com");
  EXPECT_TRUE(wl->remove(id).ok());
  EXPECT_TRUE(whitelisted(*wl, "a@example.org", {"b@example.com"}).empty());
  sdk::Status again = wl->remove(id);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("no whitelist entry with id " + std::to_string(id)), std::string::npos);
}

TEST_F(DbWhitelistTest, CoveringListsMatchingEntriesWithoutTouchingThem) {
  auto wl = make();
  std::int64_t domain = add(*wl, "@example.org", "b@example.com");
  std::int64_t anyone = add(*wl, "", "b@example.com");
  add(*wl, "x@example.net", "b@example.com");
  set_last_used(domain, old_date);
  set_last_used(anyone, old_date);
  auto covering = wl->covering("a@example.org", "b@example.com");
  ASSERT_TRUE(covering.ok()) << covering.error().message;
  ASSERT_EQ(covering.value().size(), 2u);
  EXPECT_EQ(covering.value()[0].id, domain);
  EXPECT_EQ(covering.value()[1].id, anyone);
  EXPECT_EQ(last_used(anyone).substr(0, 4), "2020");
  // A domain-wide pattern is covered by the broader entries only.
  auto for_domain = wl->covering("@example.org", "b@example.com");
  ASSERT_TRUE(for_domain.ok());
  EXPECT_EQ(for_domain.value().size(), 2u);
}

TEST_F(DbWhitelistTest, ListFiltersByFromToAndAge) {
  auto wl = make();
  std::int64_t first = add(*wl, "a@example.org", "b@example.com");
  add(*wl, "c@example.org", "b@example.com");
  std::int64_t third = add(*wl, "a@example.org", "d@example.com");
  set_last_used(third, old_date);
  auto from_a = wl->list({{"A@example.org"}, {}, std::nullopt});
  ASSERT_TRUE(from_a.ok());
  ASSERT_EQ(from_a.value().size(), 2u);
  EXPECT_EQ(from_a.value()[0].id, first);
  auto to_b = wl->list({{}, {"b@example.com"}, std::nullopt});
  ASSERT_TRUE(to_b.ok());
  EXPECT_EQ(to_b.value().size(), 2u);
  auto old = wl->list({{}, {}, std::int64_t{30}});
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old.value().size(), 1u);
  EXPECT_EQ(old.value()[0].id, third);
  // A count of days whose seconds overflow int64 is older than everything, not a wrap.
  auto older_than_ever = wl->list({{}, {}, std::int64_t{200'000'000'000'000}});
  ASSERT_TRUE(older_than_ever.ok());
  EXPECT_TRUE(older_than_ever.value().empty());
}

TEST_F(DbWhitelistTest, InstancesOnTheSameDatabaseShareOnePool) {
  auto parsed = odbc::parse_connection_string(url_, "", 3, {"whitelist_db_connection", "whitelist_db_timeout"});
  ASSERT_TRUE(parsed.ok());
  auto a = odbc::ConnectionPool::for_string(parsed.value().odbc, 3, parsed.value().password, "whitelist_db_timeout");
  auto b = odbc::ConnectionPool::for_string(parsed.value().odbc, 3, parsed.value().password, "whitelist_db_timeout");
  EXPECT_EQ(a.get(), b.get());
  auto wl1 = make();
  auto wl2 = make();
  add(*wl1, "a@example.org", "b@example.com");
  EXPECT_EQ(whitelisted(*wl2, "a@example.org", {"b@example.com"}).size(), 1u);
  EXPECT_GE(a->idle_count(), 1u);
}

TEST_F(DbWhitelistTest, ConcurrentLookupsFromManyThreads) {
  auto wl = make();
  add(*wl, "@example.org", "me@example.com");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto got = wl->whitelisted("x@example.org", {"me@example.com", "you@example.com"});
        if (!got.ok() || got.value().size() != 1) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

// Backend-independent: nothing listens on port 1.
TEST_F(DbWhitelistTest, UnreachableDatabaseFailsEveryLookupAndNeverShowsThePassword) {
  const std::string url = "postgresql://qmilter:TopSecret99@127.0.0.1:1/qmilter";
  std::map<std::string, sdk::OptionValue> values{{"whitelist_db_connection", url},
                                                 {"whitelist_db_table", table_},
                                                 {"whitelist_db_timeout", std::int64_t{2}}};
  sdk::PluginContext context;
  context.quarantine = "spam";
  context.logger = &logger_;
  context.role = Role::check;
  auto checked = DbWhitelist::create(sdk::Options("spam", values), context);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("whitelist_db_connection 'postgresql://qmilter:***@127.0.0.1:1/qmilter'"),
            std::string::npos)
      << checked.error().message;
  EXPECT_EQ(checked.error().message.find("TopSecret99"), std::string::npos);

  context.role = Role::daemon;  // the daemon starts and answers TEMPFAIL until the DB is back
  auto daemon = DbWhitelist::create(sdk::Options("spam", values), context);
  ASSERT_TRUE(daemon.ok()) << daemon.error().message;
  auto lookup = daemon.value()->whitelisted("a@example.org", {"b@example.com"});
  ASSERT_FALSE(lookup.ok());
  EXPECT_EQ(lookup.error().message.find("TopSecret99"), std::string::npos) << lookup.error().message;
  for (const std::string& line : logger_.lines()) EXPECT_EQ(line.find("TopSecret99"), std::string::npos) << line;
}

// A server that accepts the TCP connection and never speaks (a hung host behind a live
// kernel): the login gives up after whitelist_db_timeout and the lookup fails, it never hangs.
TEST_F(DbWhitelistTest, SilentServerFailsTheLookupInsteadOfHanging) {
  if (!sqlite()) GTEST_SKIP() << "backend-independent: runs once, in the SQLite pass";
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string port = std::to_string(ntohs(address.sin_port));
  for (const std::string scheme : {"postgresql", "mysql"}) {
    std::map<std::string, sdk::OptionValue> values{{"whitelist_db_connection", scheme + "://u:pw@127.0.0.1:" + port + "/db"},
                                                   {"whitelist_db_table", table_},
                                                   {"whitelist_db_timeout", std::int64_t{1}}};
    sdk::PluginContext context;
    context.quarantine = "spam";
    context.logger = &logger_;
    auto made = DbWhitelist::create(sdk::Options("spam", values), context);
    ASSERT_TRUE(made.ok()) << made.error().message;
    auto lookup = made.value()->whitelisted("a@example.org", {"b@example.com"});
    EXPECT_FALSE(lookup.ok()) << scheme;
  }
  ::close(listener);
}

TEST_F(DbWhitelistTest, OptionsAreChecked) {
  std::map<std::string, sdk::OptionValue> values{{"whitelist_db_connection", url_},
                                                 {"whitelist_db_table", std::string("bad name; drop")}};
  sdk::PluginContext context;
  context.logger = &logger_;
  auto made = DbWhitelist::create(sdk::Options("spam", values), context);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("whitelist_db_table 'bad name; drop'"), std::string::npos);
}

// SQLite only: the file pyquarantine's ORM made is read, matched and updated as it is.
TEST_F(DbWhitelistTest, PythonSqliteFileIsReadMatchedAndUpdated) {
  if (!sqlite()) GTEST_SKIP() << "SQLite compatibility";
  raw_->execute("DROP TABLE IF EXISTS \"whitelist\"");
  raw_->execute(python_ddl);
  raw_->execute(python_index);
  // As Python's sqlite3 adapter wrote datetimes: no fraction when it was zero.
  raw_->execute(
      "INSERT INTO \"whitelist\" VALUES (1, '@example.org', 'me@example.com', '2021-05-06 07:08:09.123456', "
      "'2021-05-06 07:08:09.123456', 'added by pyquarantine', 0), "
      "(2, '', 'me@example.com', '2021-05-06 07:08:09', '2021-05-06 07:08:09', '', 1)");
  table_ = "whitelist";
  auto wl = make(0);
  EXPECT_EQ(whitelisted(*wl, "a@example.org", {"me@example.com", "x@example.com"}),
            (std::set<std::string>{"me@example.com"}));
  auto rows = raw_->execute(
      "SELECT id, last_used, typeof(last_used), created, permanent, typeof(permanent) FROM whitelist ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], "2021-05-06 07:08:09.123456");  // lighter match untouched
  EXPECT_TRUE(std::regex_match(*rows[1][1], std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})"))) << *rows[1][1];
  EXPECT_NE(*rows[1][1], "2021-05-06 07:08:09");
  EXPECT_EQ(rows[1][2], "text");
  EXPECT_EQ(rows[1][3], "2021-05-06 07:08:09");
  EXPECT_EQ(rows[1][4], "1");
  auto listed = wl->list({});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed.value()[1].permanent);
  EXPECT_FALSE(listed.value()[0].permanent);

  std::int64_t id = add(*wl, "new@example.org", "me@example.com", true);
  EXPECT_EQ(id, 3);
  auto added = raw_->execute("SELECT typeof(created), created, typeof(permanent), permanent FROM whitelist WHERE id = 3");
  EXPECT_EQ(added[0][0], "text");
  EXPECT_TRUE(std::regex_match(*added[0][1], std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})"))) << *added[0][1];
  EXPECT_EQ(added[0][2], "integer");
  EXPECT_EQ(added[0][3], "1");
  auto schema = raw_->execute("SELECT sql FROM sqlite_master WHERE name = 'whitelist'");
  EXPECT_EQ(schema[0][0], python_ddl);
  raw_->execute("DROP TABLE \"whitelist\"");
}

TEST_F(DbWhitelistTest, NewSqliteTableHasThePythonSchema) {
  if (!sqlite()) GTEST_SKIP() << "SQLite schema";
  raw_->execute("DROP TABLE IF EXISTS \"whitelist\"");
  table_ = "whitelist";
  auto wl = make();
  auto schema = raw_->execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'whitelist' ORDER BY type DESC");
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_EQ(schema[0][2], python_ddl);
  EXPECT_EQ(schema[1][1], "whitelistmodel_spam_mailfrom_recipient");
  EXPECT_EQ(schema[1][2], python_index);
  raw_->execute("DROP TABLE \"whitelist\"");
}

}  // namespace
}  // namespace qmilter::whitelist_db
