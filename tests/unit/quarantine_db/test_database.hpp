// The database the db quarantine's tests run against: a SQLite file in a scratch directory
// by default, or the server QMILTER_TEST_QUARANTINE_DB names (test_quarantine_db_backends.py
// runs these programs against PostgreSQL and MariaDB servers it starts). Each TestDatabase
// gets table names of its own and drops its tables when it goes, so tests never see each
// other's entries.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "connection_string.hpp"
#include "db_store.hpp"
#include "odbc_connection.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"
#include "qmilter/sdk/testing/options.hpp"

namespace qmilter::quarantine_db::testing {

class TestDatabase {
 public:
  TestDatabase() : prefix_("qt" + std::to_string(::getpid()) + "_" + std::to_string(next_++)) {
    const char* url = std::getenv("QMILTER_TEST_QUARANTINE_DB");
    if (url != nullptr && *url != '\0') {
      url_ = url;
    } else {
      char pattern[] = "/tmp/qmilter-qdb.XXXXXX";
      if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
      dir_ = pattern;
      url_ = "sqlite:///" + dir_ + "/quarantine.db";
    }
    context_.quarantine = "spam";
    context_.logger = &logger_;
  }
  ~TestDatabase() {
    try {
      // QMILTER_TEST_KEEP_TABLES: the backends test inspects the tables the store created.
      if (raw_ != nullptr && std::getenv("QMILTER_TEST_KEEP_TABLES") == nullptr) {
        for (const char* table : {"_entries", "_recipients", "_chunks", "_notes"}) raw_->execute("DROP TABLE IF EXISTS " + q(prefix_ + table));
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "dropping the test tables: " << e.what();
    }
    raw_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& prefix() const { return prefix_; }
  sdk::testing::CaptureLogger& logger() { return logger_; }

  // A store on this database's tables, as the daemon (or `role`) would create it.
  sdk::Result<std::unique_ptr<DbStore>> create(std::map<std::string, sdk::OptionValue> values = {},
                                               sdk::Role role = sdk::Role::daemon) {
    values.emplace("quarantine_db_connection", url_);
    values.emplace("quarantine_db_table", prefix_);
    values.emplace("quarantine_db_timeout", std::int64_t{5});
    sdk::PluginContext context = context_;
    context.role = role;
    auto made = DbStore::create(sdk::testing::make_options_for<DbStore>(std::move(values), "spam"), context);
    if (made.ok()) raw();  // from now on there are tables to drop
    return made;
  }

  std::unique_ptr<DbStore> make(std::map<std::string, sdk::OptionValue> values = {}) {
    auto made = create(std::move(values));
    if (!made.ok()) {
      ADD_FAILURE() << made.error().message;
      return nullptr;
    }
    return std::move(made).value();
  }

  // A connection of the test's own, for looking at (and changing) the tables directly.
  odbc::OdbcConnection& raw() {
    if (raw_ == nullptr) {
      auto parsed = odbc::parse_connection_string(url_, "", 5, {"quarantine_db_connection", "quarantine_db_timeout"});
      if (!parsed.ok()) throw std::runtime_error(parsed.error().message);
      raw_ = std::make_unique<odbc::OdbcConnection>(parsed.value().odbc, 5, parsed.value().password);
    }
    return *raw_;
  }

  std::string q(const std::string& identifier) {
    return raw().family() == odbc::DbmsFamily::mysql ? "`" + identifier + "`" : "\"" + identifier + "\"";
  }
  std::string table(const char* suffix) { return q(prefix_ + suffix); }

  // The single value of a one-row, one-column query.
  std::string value(const std::string& sql, const std::vector<odbc::SqlParam>& params = {}) {
    auto rows = raw().execute(sql, params);
    if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) return "<" + std::to_string(rows.size()) + " rows>";
    return *rows[0][0];
  }

 private:
  static inline std::atomic<unsigned> next_{0};
  std::string url_;
  std::string dir_;
  std::string prefix_;
  sdk::testing::CaptureLogger logger_;
  sdk::PluginContext context_;
  std::unique_ptr<odbc::OdbcConnection> raw_;
};

}  // namespace qmilter::quarantine_db::testing
