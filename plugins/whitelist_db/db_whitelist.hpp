// whitelist_type = db: the sdk::Whitelist kept in an SQL table reached through ODBC
// (SQLite, PostgreSQL, MariaDB), compatible with pyquarantine's table.
// One instance per quarantine section; immutable after create() apart from the pool it
// shares with other instances on the same database, so all methods may run concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "connection_pool.hpp"
#include "lookup_batcher.hpp"
#include "qmilter/sdk/sdk.hpp"
#include "whitelist_table.hpp"

namespace qmilter::whitelist_db {

class DbWhitelist final : public sdk::Whitelist {
 public:
  static std::vector<sdk::OptionSpec> option_schema();
  static sdk::Result<std::unique_ptr<DbWhitelist>> create(const sdk::Options& options, const sdk::PluginContext& context);

  DbWhitelist(std::shared_ptr<odbc::ConnectionPool> pool, WhitelistTable table, std::string redacted_connection,
              std::int64_t expire_days, sdk::Logger* logger);

  sdk::Result<std::set<std::string>> whitelisted(std::string_view sender,
                                                 const std::vector<std::string>& recipients) override;
  sdk::Result<std::vector<sdk::WhitelistEntry>> list(const sdk::WhitelistFilter& filter) const override;
  sdk::Result<std::vector<sdk::WhitelistEntry>> covering(std::string_view sender,
                                                         std::string_view recipient) const override;
  sdk::Result<std::int64_t> add(const sdk::WhitelistEntry& entry) override;
  sdk::Status remove(std::int64_t id) override;
  sdk::Result<std::int64_t> purge() override;

 private:
  // Creates the table on first use when create() could not reach the database.
  void ensure_table(odbc::OdbcConnection& db) const;
  // The rows matching these lists, on a pooled connection of its own.
  std::vector<CandidateRow> query_candidates(const std::vector<std::string>& mailfroms,
                                             const std::vector<std::string>& recipients) const;
  bool expired(const std::string& last_used, bool permanent, std::int64_t now) const;
  // last_used is written at most once a minute per entry and process: a busy entry would
  // otherwise cost a write per message, for a date that only matters to the day.
  std::vector<std::int64_t> stale_touches(const std::vector<std::int64_t>& ids, std::int64_t now) const;
  void remember_touches(const std::vector<std::int64_t>& ids, std::int64_t now) const;
  // Writes last_used = now for `ids` without holding up the lookup (ConnectionPool::
  // with_brief_write); a failure is logged, never the lookup's.
  void touch(const std::vector<std::int64_t>& ids, std::int64_t now) const;
  sdk::Error failure(std::string_view what, const std::exception& e) const;

  std::shared_ptr<odbc::ConnectionPool> pool_;
  const WhitelistTable table_;
  const std::string redacted_connection_;  // the only form of the connection string that is logged
  const std::int64_t expire_days_;         // 0 = entries never expire
  sdk::Logger* logger_;
  mutable std::atomic<bool> table_ready_{false};
  mutable std::mutex touched_mutex_;
  mutable std::unordered_map<std::int64_t, std::int64_t> touched_;  // entry id -> when this process wrote last_used
  // whitelisted()'s queries, shared by concurrent lookups on a database server. Not for
  // SQLite: a lookup there costs a few microseconds of this process's CPU, less than the
  // hand-over between threads, and a leader preempted mid-query would hold up its batch.
  std::unique_ptr<LookupBatcher> batcher_;
};

}  // namespace qmilter::whitelist_db
