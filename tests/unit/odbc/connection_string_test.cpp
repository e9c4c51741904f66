// A plugin's *_db_connection: the Python ORM's URLs map to ODBC strings; passwords never
// show, and errors name the option of the plugin that asked.
#include <gtest/gtest.h>

#include "connection_string.hpp"

namespace qmilter::odbc {
namespace {

const OptionNames names{"whitelist_db_connection", "whitelist_db_timeout"};

ConnectionString parsed(const std::string& value, const std::string& config_dir = "/etc/qmilter") {
  auto result = parse_connection_string(value, config_dir, 5, names);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : ConnectionString{};
}

std::string error_of(const std::string& value) {
  auto result = parse_connection_string(value, "/etc/qmilter", 5, names);
  EXPECT_FALSE(result.ok()) << value;
  return result.ok() ? "" : result.error().message;
}

TEST(ConnectionString, SqliteRelativePathIsResolvedAgainstTheConfigDirectory) {
  EXPECT_EQ(parsed("sqlite:///whitelist.db").odbc, "Driver=SQLite3;Database=/etc/qmilter/whitelist.db;Timeout=1666;JournalMode=WAL;SyncPragma=NORMAL;");
}

TEST(ConnectionString, SqliteAbsolutePathHasFourSlashes) {
  EXPECT_EQ(parsed("sqlite:////var/lib/qmilter/wl.db").odbc, "Driver=SQLite3;Database=/var/lib/qmilter/wl.db;Timeout=1666;JournalMode=WAL;SyncPragma=NORMAL;");
}

TEST(ConnectionString, SqliteBusyTimeoutIsAThirdOfTheTimeoutBecauseTheDriverWaitsThrice) {
  EXPECT_EQ(sqlite_busy_timeout_ms(3), 1000);
  EXPECT_EQ(sqlite_busy_timeout_ms(1), 333);
}

TEST(ConnectionString, RawSqliteStringGetsTheBusyTimeout) {
  EXPECT_EQ(parsed("Driver=SQLite3;Database=/var/lib/qmilter/wl.db").odbc,
            "Driver=SQLite3;Database=/var/lib/qmilter/wl.db;Timeout=1666;");
  EXPECT_EQ(parsed("driver={SQLite3};Database=/w.db;").odbc, "driver={SQLite3};Database=/w.db;Timeout=1666;");
  // Without it the driver waits 100 s for a locked file, whatever whitelist_db_timeout says.
  EXPECT_NE(error_of("Driver=SQLite3;Database=/w.db;Timeout=100000").find("leave out Timeout"), std::string::npos);
}

TEST(ConnectionString, OdbcAttributesAreFoundAndSetByName) {
  EXPECT_EQ(odbc_attribute("DSN=wl; timeout ={250};x=1", "Timeout"), "250");
  EXPECT_EQ(odbc_attribute("DSN=wl", "Timeout"), std::nullopt);
  EXPECT_EQ(with_odbc_attribute("DSN=wl;Timeout=9;PWD={a;b}", "timeout", "25"), "DSN=wl;Timeout=25;PWD={a;b}");
  EXPECT_EQ(with_odbc_attribute("DSN=wl", "Timeout", "25"), "DSN=wl;Timeout=25;");
}

TEST(ConnectionString, PostgresUrlMapsToThePostgresUnicodeDriver) {
  ConnectionString c = parsed("postgresql://milter:pw@db.example.org:5433/mail");
  EXPECT_EQ(c.odbc,
            "Driver={PostgreSQL Unicode};Server=db.example.org;Port=5433;Database=mail;Uid=milter;Pwd=pw;"
            "pqopt={connect_timeout=5 tcp_user_timeout=5000};");
  EXPECT_EQ(c.redacted, "postgresql://milter:***@db.example.org:5433/mail");
  EXPECT_EQ(c.password, "pw");
}

TEST(ConnectionString, MysqlUrlMapsToTheMariaDbUnicodeDriver) {
  EXPECT_EQ(parsed("mysql://milter@[::1]/mail").odbc,
            "Driver={MariaDB Unicode};Server=::1;Database=mail;Uid=milter;CONN_TIMEOUT=5;READ_TIMEOUT=5;WRITE_TIMEOUT=5;");
}

TEST(ConnectionString, EscapedPasswordIsDecodedAndBraced) {
  ConnectionString c = parsed("mysql://u:a%3Bb%7Dc%40d@h:3306/db");
  EXPECT_EQ(c.password, "a;b}c@d");
  EXPECT_NE(c.odbc.find("Pwd={a;b}}c@d};"), std::string::npos) << c.odbc;
  EXPECT_EQ(c.redacted.find("a%3B"), std::string::npos) << c.redacted;
}

TEST(ConnectionString, RawOdbcStringPassesAsGivenAndIsRedacted) {
  ConnectionString c = parsed("Driver={PostgreSQL Unicode};Server=h;UID=u;PWD={se;cret};Database=d");
  EXPECT_EQ(c.odbc, "Driver={PostgreSQL Unicode};Server=h;UID=u;PWD={se;cret};Database=d");
  EXPECT_EQ(c.redacted, "Driver={PostgreSQL Unicode};Server=h;UID=u;PWD=***;Database=d");
  EXPECT_EQ(parsed("DSN=whitelist;Password=x").redacted, "DSN=whitelist;Password=***");
}

TEST(ConnectionString, BadValuesAreRefusedWithTheReason) {
  EXPECT_NE(error_of("oracle://u:p@h/db").find("unknown URL scheme 'oracle'"), std::string::npos);
  EXPECT_NE(error_of("postgresql://u:p@h:99999/db").find("port"), std::string::npos);
  EXPECT_NE(error_of("postgresql://u:p@h:5432").find("no database"), std::string::npos);
  EXPECT_NE(error_of("just-a-name").find("neither a URL"), std::string::npos);
  EXPECT_NE(error_of("sqlite://").find("SQLite URL"), std::string::npos);
}

TEST(ConnectionString, ErrorsNeverShowThePassword) {
  std::string error = error_of("postgresql://u:topsecret@h:0/db");
  EXPECT_EQ(error.find("topsecret"), std::string::npos) << error;
}

TEST(ConnectionString, MaskSecretReplacesEveryOccurrence) {
  EXPECT_EQ(mask_secret("pw=abc and abc", "abc"), "pw=*** and ***");
  EXPECT_EQ(mask_secret("nothing", ""), "nothing");
}

}  // namespace
}  // namespace qmilter::odbc

namespace qmilter::odbc {
namespace {

TEST(ConnectionString, ErrorsNameTheOptionOfThePluginThatAsked) {
  auto result = parse_connection_string("ftp://u:secret@h/db", "/etc/qmilter", 5,
                                        {"quarantine_db_connection", "quarantine_db_timeout"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.rfind("quarantine_db_connection 'ftp://u:***@h/db': ", 0), 0u) << result.error().message;
  auto timeout = parse_connection_string("Driver=SQLite3;Database=/q.db;Timeout=5", "/", 5,
                                         {"quarantine_db_connection", "quarantine_db_timeout"});
  ASSERT_FALSE(timeout.ok());
  EXPECT_NE(timeout.error().message.find("follows quarantine_db_timeout"), std::string::npos) << timeout.error().message;
}

}  // namespace
}  // namespace qmilter::odbc
