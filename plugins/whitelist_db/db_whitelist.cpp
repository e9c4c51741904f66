// The DB whitelist (see the header): the lookup, weights and last_used update, plus
// expiry, BATV stripping and the admin side qmilterctl uses. The public methods turn a
// DatabaseError into an Error naming the database and table; any other exception is left
// to the SDK's guard, which reports it as an Error too.
#include "db_whitelist.hpp"

#include <algorithm>
#include <ctime>
#include <limits>
#include <map>
#include <thread>

#include "connection_string.hpp"
#include "entry_address.hpp"
#include "local_time.hpp"
#include "sqlite_tuning.hpp"
#include "qmilter/sdk/text.hpp"
#include "qmilter/sdk/whitelist_entry.hpp"

namespace qmilter::whitelist_db {
namespace {

const odbc::OptionNames odbc_options{"whitelist_db_connection", "whitelist_db_timeout"};
constexpr std::int64_t seconds_per_day = 86400;
constexpr std::int64_t touch_interval_seconds = 60;
constexpr std::size_t touched_prune_size = 10000;

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// DAYS as seconds, saturating: a huge count means "longer than anything", never a product
// that wraps around and makes fresh entries look old.
std::int64_t days_in_seconds(std::int64_t days) {
  std::int64_t seconds = 0;
  if (__builtin_mul_overflow(days, seconds_per_day, &seconds)) {
    return days > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return seconds;
}

// The moment DAYS before now, saturating at the ends of the int64 range.
std::int64_t days_before(std::int64_t now, std::int64_t days) {
  std::int64_t cutoff = 0;
  if (__builtin_sub_overflow(now, days_in_seconds(days), &cutoff)) {
    return days > 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
  }
  return cutoff;
}

std::vector<std::string> lowered_all(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values) out.push_back(sdk::ascii_lower(value));
  return out;
}

}  // namespace

std::vector<sdk::OptionSpec> DbWhitelist::option_schema() {
  return {
      {"whitelist_db_connection", sdk::OptionType::string, true, "",
       "The database: a URL (sqlite, postgresql, mysql) or an ODBC connection string"},
      {"whitelist_db_table", sdk::OptionType::string, true, "", "Table holding the entries, created if missing with pyquarantine's columns"},
      {"whitelist_db_timeout", sdk::OptionType::integer, false, "5",
       "Seconds a connection or query may take before the message gets TEMPFAIL", 1, 300},
      {"whitelist_expire_days", sdk::OptionType::integer, false, "0",
       "Non-permanent entries unused for this many days stop matching", 0, 36500},
  };
}

sdk::Result<std::unique_ptr<DbWhitelist>> DbWhitelist::create(const sdk::Options& options,
                                                             const sdk::PluginContext& context) {
  const std::string table_name = options.string("whitelist_db_table");
  if (!WhitelistTable::valid_table_name(table_name)) {
    return sdk::Error{"whitelist_db_table '" + table_name +
                      "': a table name is letters, digits and '_' (not starting with a digit), at most 63 characters"};
  }
  // Ranges and defaults come from the schema, checked by the host.
  const std::int64_t timeout = options.integer("whitelist_db_timeout");
  const std::int64_t expire_days = options.integer("whitelist_expire_days");
  auto connection = odbc::parse_connection_string(options.string("whitelist_db_connection"), context.config_dir,
                                                  static_cast<long>(timeout), odbc_options);
  if (!connection.ok()) return connection.error();

  odbc::tune_sqlite_for_concurrent_lookups();  // before any connection: it only works then
  auto pool = odbc::ConnectionPool::for_string(connection.value().odbc, static_cast<long>(timeout),
                                               connection.value().password, odbc_options.timeout);
  auto whitelist = std::make_unique<DbWhitelist>(pool, WhitelistTable(table_name, context.quarantine),
                                                 connection.value().redacted, expire_days, context.logger);
  const std::string& shown = connection.value().redacted;
  try {
    if (context.role == sdk::Role::check) {
      // Reachability only: `qmilter -t` changes nothing in the database.
      pool->with_connection([](odbc::OdbcConnection&) {});
      return whitelist;
    }
    pool->with_connection([&](odbc::OdbcConnection& db) { whitelist->ensure_table(db); });
  } catch (const std::exception& e) {
    std::string why = "whitelist_db_connection '" + shown + "': " + e.what();
    if (context.role != sdk::Role::daemon) return sdk::Error{why};
    // The daemon starts anyway: messages that need the whitelist get TEMPFAIL until the
    // database answers, and the table is created then.
    if (context.logger != nullptr) context.logger->warning("", why + " (messages needing this whitelist get TEMPFAIL until it answers)");
    return whitelist;
  }
  if (context.logger != nullptr) {
    // qmilterctl runs this too: only the daemon announces it at info level.
    context.logger->log(context.role == sdk::Role::daemon ? sdk::LogLevel::info : sdk::LogLevel::debug, "", "whitelist database '" + shown + "', table '" + table_name + "'" +
                                 (expire_days > 0 ? ", entries expire after " + std::to_string(expire_days) + " days unused" : ""));
  }
  return whitelist;
}

DbWhitelist::DbWhitelist(std::shared_ptr<odbc::ConnectionPool> pool, WhitelistTable table, std::string redacted_connection,
                         std::int64_t expire_days, sdk::Logger* logger)
    : pool_(std::move(pool)),
      table_(std::move(table)),
      redacted_connection_(std::move(redacted_connection)),
      expire_days_(expire_days),
      logger_(logger),
      batcher_(std::make_unique<LookupBatcher>(
          [this](const std::vector<std::string>& mailfroms, const std::vector<std::string>& recipients) {
            return query_candidates(mailfroms, recipients);
          },
          std::max(2u, std::thread::hardware_concurrency()),
          // A query may take 1.5 timeouts (ConnectionPool's retry); a lookup queued behind
          // one waits for it and then for its own turn.
          std::chrono::seconds(2 * pool_->timeout_seconds()))) {}

std::vector<CandidateRow> DbWhitelist::query_candidates(const std::vector<std::string>& mailfroms,
                                                        const std::vector<std::string>& recipients) const {
  return pool_->with_connection([&](odbc::OdbcConnection& db) {
    ensure_table(db);
    return table_.candidates(db, mailfroms, recipients);
  });
}

void DbWhitelist::ensure_table(odbc::OdbcConnection& db) const {
  if (table_ready_.load(std::memory_order_acquire)) return;
  table_.ensure(db);
  table_ready_.store(true, std::memory_order_release);
}

bool DbWhitelist::expired(const std::string& last_used, bool permanent, std::int64_t now) const {
  if (expire_days_ == 0 || permanent) return false;
  auto used = parse_local_timestamp(last_used);
  // An unreadable date cannot prove the entry stale: keep it matching.
  return used && *used < days_before(now, expire_days_);
}

std::vector<std::int64_t> DbWhitelist::stale_touches(const std::vector<std::int64_t>& ids, std::int64_t now) const {
  std::vector<std::int64_t> stale;
  std::lock_guard lock(touched_mutex_);
  for (std::int64_t id : ids) {
    auto found = touched_.find(id);
    if (found == touched_.end() || now - found->second >= touch_interval_seconds) stale.push_back(id);
  }
  return stale;
}

void DbWhitelist::remember_touches(const std::vector<std::int64_t>& ids, std::int64_t now) const {
  std::lock_guard lock(touched_mutex_);
  if (touched_.size() > touched_prune_size) {
    std::erase_if(touched_, [&](const auto& item) { return now - item.second >= touch_interval_seconds; });
  }
  for (std::int64_t id : ids) touched_[id] = now;
}

void DbWhitelist::touch(const std::vector<std::int64_t>& ids, std::int64_t now) const {
  if (ids.empty()) return;
  try {
    const std::string stamp = local_timestamp_now();
    pool_->with_brief_write([&](odbc::OdbcConnection& db) { table_.touch(db, ids, stamp); });
    remember_touches(ids, now);
  } catch (const odbc::DatabaseError& e) {
    // The answer stands: the entries matched. Not remembered, so the next message using
    // them writes the date.
    if (logger_ != nullptr) {
      logger_->warning("", failure("last_used of " + std::to_string(ids.size()) +
                                       " matched entries not updated (the next message using them retries)",
                                   e)
                               .message);
    }
  }
}

sdk::Error DbWhitelist::failure(std::string_view what, const std::exception& e) const {
  return sdk::Error{"whitelist database '" + redacted_connection_ + "', table '" + table_.name() + "': " +
                    std::string(what) + ": " + e.what()};
}

sdk::Result<std::set<std::string>> DbWhitelist::whitelisted(std::string_view sender,
                                                            const std::vector<std::string>& recipients) {
  try {
    std::set<std::string> result;
    if (recipients.empty()) return result;
    const std::string from = strip_batv(sdk::ascii_lower(sender));
    const std::vector<std::string> mailfroms = candidates_for(from);
    std::vector<std::string> rcpts;                          // normalised, de-duplicated
    std::map<std::string, std::vector<std::string>> rcpt_candidates;
    std::vector<std::string> all_candidates;
    for (const std::string& recipient : recipients) {
      std::string lowered = sdk::ascii_lower(recipient);
      if (rcpt_candidates.count(lowered) != 0) continue;
      rcpts.push_back(lowered);
      auto& mine = rcpt_candidates[lowered] = candidates_for(lowered);
      for (const std::string& candidate : mine) {
        if (std::find(all_candidates.begin(), all_candidates.end(), candidate) == all_candidates.end()) {
          all_candidates.push_back(candidate);
        }
      }
    }

    // One query for all recipients (shared with concurrent lookups), then, only when
    // something matched, one update.
    std::vector<CandidateRow> rows = pool_->sqlite() ? query_candidates(mailfroms, all_candidates)
                                                     : batcher_->candidates(mailfroms, all_candidates);
    const std::int64_t now = now_seconds();
    std::vector<std::int64_t> heaviest_ids;
    for (std::size_t i = 0; i < rcpts.size(); ++i) {
      const auto& mine = rcpt_candidates[rcpts[i]];
      const CandidateRow* best = nullptr;
      int best_weight = -1;
      for (const CandidateRow& row : rows) {
        if (std::find(mine.begin(), mine.end(), sdk::ascii_lower(row.recipient)) == mine.end()) continue;
        if (expired(row.last_used, row.permanent, now)) continue;
        int weight = field_weight(row.mailfrom) + field_weight(row.recipient);
        if (weight > best_weight) {  // the first (lowest id) wins a tie, as in Python
          best = &row;
          best_weight = weight;
        }
      }
      if (best == nullptr) continue;
      // Keep the caller's spelling: the core compares with the recipients it passed.
      for (const std::string& recipient : recipients) {
        if (sdk::ascii_lower(recipient) == rcpts[i]) result.insert(recipient);
      }
      if (std::find(heaviest_ids.begin(), heaviest_ids.end(), best->id) == heaviest_ids.end()) {
        heaviest_ids.push_back(best->id);
      }
    }
    touch(stale_touches(heaviest_ids, now), now);
    return result;
  } catch (const odbc::DatabaseError& e) {
    return failure("lookup failed", e);
  }
}

sdk::Result<std::vector<sdk::WhitelistEntry>> DbWhitelist::list(const sdk::WhitelistFilter& filter) const {
  try {
    auto entries = pool_->with_connection([&](odbc::OdbcConnection& db) {
      ensure_table(db);
      return table_.entries(db, lowered_all(filter.from), lowered_all(filter.to));
    });
    if (filter.older_than_days) {
      const std::int64_t cutoff = days_before(now_seconds(), *filter.older_than_days);
      std::erase_if(entries, [&](const sdk::WhitelistEntry& entry) {
        auto used = parse_local_timestamp(entry.last_used);
        return used && *used >= cutoff;
      });
    }
    return entries;
  } catch (const odbc::DatabaseError& e) {
    return failure("listing failed", e);
  }
}

sdk::Result<std::vector<sdk::WhitelistEntry>> DbWhitelist::covering(std::string_view sender,
                                                                   std::string_view recipient) const {
  try {
    const std::string from = strip_batv(sdk::ascii_lower(sender));
    const std::string to = sdk::ascii_lower(recipient);
    auto entries = pool_->with_connection([&](odbc::OdbcConnection& db) {
      ensure_table(db);
      return table_.entries(db, candidates_for(from), candidates_for(to));
    });
    const std::int64_t now = now_seconds();
    std::erase_if(entries, [&](const sdk::WhitelistEntry& entry) { return expired(entry.last_used, entry.permanent, now); });
    return entries;
  } catch (const odbc::DatabaseError& e) {
    return failure("lookup failed", e);
  }
}

sdk::Result<std::int64_t> DbWhitelist::add(const sdk::WhitelistEntry& entry) {
  try {
    sdk::WhitelistEntry lowered = entry;
    lowered.mailfrom = sdk::ascii_lower(entry.mailfrom);
    lowered.recipient = sdk::ascii_lower(entry.recipient);
    for (const std::string* field : {&lowered.mailfrom, &lowered.recipient}) {
      if (sdk::whitelist_entry_problem(*field)) {
        return sdk::Error{"invalid whitelist entry '" + *field +
                          "': expected \"\" (anyone), @domain or an address of letters, digits and _.+-"};
      }
    }
    std::optional<std::int64_t> existing;
    std::optional<std::int64_t> id = pool_->with_connection([&](odbc::OdbcConnection& db) -> std::optional<std::int64_t> {
      ensure_table(db);
      existing = table_.find_id(db, lowered.mailfrom, lowered.recipient);
      if (existing) return std::nullopt;
      table_.insert(db, lowered, local_timestamp_now());
      return table_.find_id(db, lowered.mailfrom, lowered.recipient);
    });
    if (existing) {
      return sdk::Error{"an entry from '" + lowered.mailfrom + "' to '" + lowered.recipient + "' already exists (id " +
                        std::to_string(*existing) + ")"};
    }
    if (!id) return sdk::Error{"the new entry was not found after inserting it"};
    return *id;
  } catch (const odbc::DatabaseError& e) {
    return failure("adding the entry failed", e);
  }
}

sdk::Status DbWhitelist::remove(std::int64_t id) {
  try {
    std::int64_t removed = pool_->with_connection([&](odbc::OdbcConnection& db) {
      ensure_table(db);
      return table_.remove(db, {id});
    });
    if (removed == 0) return sdk::Error{"no whitelist entry with id " + std::to_string(id) + " in table '" + table_.name() + "'"};
    return {};
  } catch (const odbc::DatabaseError& e) {
    return failure("deleting the entry failed", e);
  }
}

sdk::Result<std::int64_t> DbWhitelist::purge() {
  try {
    if (expire_days_ == 0) return std::int64_t{0};  // nothing expires
    return pool_->with_connection([&](odbc::OdbcConnection& db) {
      ensure_table(db);
      const std::int64_t now = now_seconds();
      std::vector<std::int64_t> stale;
      for (const sdk::WhitelistEntry& entry : table_.entries(db, {}, {})) {
        if (expired(entry.last_used, entry.permanent, now)) stale.push_back(entry.id);
      }
      return table_.remove(db, stale);
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("purging expired entries failed", e);
  }
}

}  // namespace qmilter::whitelist_db
