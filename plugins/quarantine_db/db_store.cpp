// The db quarantine (see the header). Each public method turns a DatabaseError into an Error
// naming the database and the tables, which the host answers with TEMPFAIL on the message
// path; any other exception is left to the SDK's guard, which reports it as an Error too.
#include "db_store.hpp"

#include <unistd.h>

#include <climits>
#include <ctime>
#include <optional>
#include <stdexcept>

#include "connection_string.hpp"
#include "db_entry_id.hpp"
#include "entry_json.hpp"
#include "message_chunks.hpp"
#include "qmilter/sdk/text.hpp"
#include "sqlite_tuning.hpp"

namespace qmilter::quarantine_db {
namespace {

const odbc::OptionNames odbc_options{"quarantine_db_connection", "quarantine_db_timeout"};

// A read that failed after part of the message was handed on. Not a DatabaseError, so the
// pool does not run the read again (the caller would get the first part twice) and drops
// the connection.
class ReadInterrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string system_host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// psqlODBC wraps every statement of a transaction in a SAVEPOINT by default (so that a failed
// statement alone is rolled back), a round trip each. A store is all or nothing anyway:
// Protocol=7.4-1 rolls the whole transaction back on an error and sends no savepoints.
std::string without_savepoints(const std::string& odbc) {
  const std::string driver = sdk::ascii_lower(odbc::odbc_attribute(odbc, "driver").value_or(""));
  if (driver.find("postgres") == std::string::npos || odbc::odbc_attribute(odbc, "protocol")) return odbc;
  return odbc::with_odbc_attribute(odbc, "Protocol", "7.4-1");
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The age filter as "date at most": none when the filter has no age or the cutoff does not
// fit (then entry_matches alone decides).
std::optional<std::int64_t> date_cutoff(const sdk::EntryFilter& filter, std::int64_t now) {
  if (!filter.older_than_days) return std::nullopt;
  std::int64_t limit = 0;
  std::int64_t cutoff = 0;
  if (__builtin_mul_overflow(*filter.older_than_days, std::int64_t{86400}, &limit)) return std::nullopt;
  if (__builtin_sub_overflow(now, limit, &cutoff)) return std::nullopt;
  return cutoff;
}

}  // namespace

std::vector<sdk::OptionSpec> DbStore::option_schema() {
  return {
      {"quarantine_db_connection", sdk::OptionType::string, true, "",
       "database: postgresql://user:pass@host:port/db, mysql://user:pass@host:port/db, sqlite:///path or an ODBC string"},
      {"quarantine_db_table", sdk::OptionType::string, true, "",
       "prefix of the four tables (PREFIX_entries, PREFIX_recipients, PREFIX_chunks, PREFIX_notes), created when missing"},
      {"quarantine_db_timeout", sdk::OptionType::integer, false, "10",
       "seconds a connection or statement may take before the message gets TEMPFAIL", 1, 300},
      {"quarantine_db_connections", sdk::OptionType::integer, false, "32",
       "most connections this process uses at once; more stores wait for one (up to the timeout)", 1, 32},
      {"quarantine_db_host", sdk::OptionType::string, false, "",
       "the host name written with each entry (empty = this machine's host name)"},
  };
}

sdk::Result<std::unique_ptr<DbStore>> DbStore::create(const sdk::Options& options, const sdk::PluginContext& context) {
  const std::string prefix = options.string("quarantine_db_table");
  if (!QuarantineTables::valid_prefix(prefix)) {
    return sdk::Error{"quarantine_db_table '" + prefix + "': a table name prefix is letters, digits and '_' (not starting with a digit), at most " +
                      std::to_string(QuarantineTables::max_prefix_length) + " characters"};
  }
  const long timeout = static_cast<long>(options.integer("quarantine_db_timeout"));
  auto connection = odbc::parse_connection_string(options.string("quarantine_db_connection"), context.config_dir,
                                                  timeout, odbc_options);
  if (!connection.ok()) return connection.error();
  std::string host = options.string("quarantine_db_host");
  if (host.empty()) host = system_host_name();

  odbc::tune_sqlite_for_concurrent_lookups();  // before any connection: it only works then
  // Bounded, so several hosts fit in the server's max_connections. A store holds its
  // connection for the commit's flush and for every wake-up around it, which a busy CPU
  // stretches; stores beyond the bound wait (see BENCHMARKS.md for 16 against 32).
  auto pool = odbc::ConnectionPool::for_string(
      without_savepoints(connection.value().odbc), timeout, connection.value().password, odbc_options.timeout,
      static_cast<std::size_t>(options.integer("quarantine_db_connections")));
  const std::string& shown = connection.value().redacted;
  auto store = std::make_unique<DbStore>(pool, QuarantineTables(prefix), host, shown);
  try {
    if (context.role == sdk::Role::check) {
      // Reachability only: `qmilter -t` changes nothing in the database.
      pool->with_connection([](odbc::OdbcConnection&) {});
      return store;
    }
    pool->with_connection([&](odbc::OdbcConnection& db) { store->ensure_tables(db); });
  } catch (const std::exception& e) {
    std::string why = "quarantine_db_connection '" + shown + "': " + e.what();
    if (context.role != sdk::Role::daemon) return sdk::Error{why};
    // The daemon starts anyway: messages for this quarantine get TEMPFAIL until the
    // database answers, and the tables are created then.
    if (context.logger != nullptr) context.logger->warning("", why + " (messages for this quarantine get TEMPFAIL until it answers)");
    return store;
  }
  if (context.logger != nullptr) {
    context.logger->log(context.role == sdk::Role::daemon ? sdk::LogLevel::info : sdk::LogLevel::debug, "",
                        "quarantine database '" + shown + "', tables '" + prefix + "_*', host '" + host + "'");
  }
  return store;
}

DbStore::DbStore(std::shared_ptr<odbc::ConnectionPool> pool, QuarantineTables tables, std::string host,
                 std::string redacted_connection)
    : pool_(std::move(pool)),
      tables_(std::move(tables)),
      host_(std::move(host)),
      redacted_connection_(std::move(redacted_connection)) {}

void DbStore::ensure_tables(odbc::OdbcConnection& db) const {
  if (tables_ready_.load(std::memory_order_acquire)) return;
  tables_.ensure(db);
  tables_ready_.store(true, std::memory_order_release);
}

sdk::Error DbStore::failure(const std::string& what, const std::exception& e) const {
  return sdk::Error{"quarantine database '" + redacted_connection_ + "', tables '" + tables_.prefix() + "_*': " + what +
                    ": " + e.what()};
}

sdk::Error DbStore::unknown(const std::string& id) const {
  return sdk::Error{"no quarantine entry '" + id + "' in table '" + tables_.entries_table() + "'",
                    sdk::ErrorKind::not_found};
}

sdk::Result<std::string> DbStore::store(const sdk::MessageView& message, const std::vector<std::string>& recipients,
                                        const sdk::Match& match) {
  // The id is made once: a retry on a fresh connection (after a server restart) writes the
  // same entry, and if the first attempt did commit, the retry fails on the primary key
  // instead of storing the message twice.
  const std::string id = make_entry_id(message.received_at(), message.queue_id());
  const EntryJson json = entry_json(message, match);
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Result<std::string> {
      ensure_tables(db);
      // The first chunk waits: a message that fits in it goes in as one statement on
      // PostgreSQL. A longer one opens the transaction with its second chunk.
      std::string first;
      std::optional<odbc::Transaction> transaction;
      auto open = [&] {
        if (transaction) return;
        transaction.emplace(db);
        tables_.insert_chunk(db, id, 0, first);
      };
      auto written = write_chunks(message, [&](std::uint32_t seq, std::string_view bytes) {
        if (seq == 0) {
          first.assign(bytes);
          return;
        }
        open();
        tables_.insert_chunk(db, id, seq, bytes);
      });
      if (!written.ok()) return written.error();  // an open transaction rolls back
      EntryRow row{id,
                   host_,
                   std::string(message.queue_id()),
                   std::string(message.sender()),
                   message.received_at(),
                   json.headers,
                   json.subgroups,
                   json.named_subgroups,
                   static_cast<std::int64_t>(written.value().bytes),
                   written.value().chunks};
      if (!transaction && db.family() == odbc::DbmsFamily::postgresql) {
        tables_.insert_whole_entry(db, row, recipients, first);
        return id;
      }
      open();
      for (std::size_t i = 0; i < recipients.size(); ++i) {
        tables_.insert_recipient(db, id, static_cast<std::int64_t>(i), recipients[i]);
      }
      tables_.insert_entry(db, row);
      transaction->commit();
      return id;
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("storing the message failed (nothing was stored)", e);
  }
}

sdk::Result<std::vector<sdk::StoredEntry>> DbStore::find(const sdk::EntryFilter& filter) const {
  try {
    const std::int64_t now = now_seconds();
    EntryQuery query{std::nullopt, filter.from, filter.to, date_cutoff(filter, now)};
    auto found = pool_->with_connection([&](odbc::OdbcConnection& db) {
      ensure_tables(db);
      return tables_.entries(db, query);
    });
    std::erase_if(found, [&](const sdk::StoredEntry& entry) { return !sdk::entry_matches(filter, entry, now); });
    for (sdk::StoredEntry& entry : found) sdk::keep_only_headers(filter, entry);
    return found;
  } catch (const odbc::DatabaseError& e) {
    return failure("listing failed", e);
  }
}

sdk::Result<sdk::StoredEntry> DbStore::entry(const std::string& id) const {
  try {
    EntryQuery query;
    query.id = id;
    auto found = pool_->with_connection([&](odbc::OdbcConnection& db) {
      ensure_tables(db);
      return tables_.entries(db, query);
    });
    if (found.empty()) return unknown(id);
    return std::move(found.front());
  } catch (const odbc::DatabaseError& e) {
    return failure("reading entry '" + id + "' failed", e);
  }
}

sdk::Status DbStore::read(const std::string& id, const sdk::ChunkVisitor& visit) const {
  try {
    // One chunk row per statement: no driver ever holds more than one chunk of the message.
    bool known = pool_->with_connection([&](odbc::OdbcConnection& db) {
      ensure_tables(db);
      std::optional<std::int64_t> chunks = tables_.chunk_count(db, id);
      if (!chunks) return false;
      bool started = false;
      bool stopped = false;
      for (std::int64_t seq = 0; seq < *chunks && !stopped; ++seq) {
        bool found = false;
        try {
          found = tables_.read_chunk(db, id, seq, [&](std::string_view piece) {
            started = true;
            stopped = !visit(piece);
            return !stopped;
          });
        } catch (const odbc::DatabaseError& e) {
          if (started) throw ReadInterrupted(e.what());
          throw;
        }
        if (!found) throw ReadInterrupted("the entry was removed while it was being read");
      }
      return true;
    });
    if (!known) return unknown(id);
    return {};
  } catch (const odbc::DatabaseError& e) {
    return failure("reading the message of '" + id + "' failed", e);
  } catch (const ReadInterrupted& e) {
    return failure("reading the message of '" + id + "' stopped part-way", e);
  }
}

sdk::Status DbStore::remove_recipient(const std::string& id, const std::string& recipient) {
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Status {
      ensure_tables(db);
      const bool row_locks = db.family() != odbc::DbmsFamily::sqlite;
      odbc::Transaction transaction(db);
      // The entry's row lock orders concurrent removals (two admins releasing at once, or
      // the last two recipients going at once); SQLite's first write locks the whole file.
      if (row_locks && !tables_.lock_entry(db, id)) {
        transaction.rollback();
        return unknown(id);
      }
      if (tables_.delete_recipient(db, id, recipient) == 0) {
        const bool exists = row_locks || tables_.chunk_count(db, id).has_value();
        transaction.rollback();
        if (!exists) return unknown(id);
        return sdk::Error{"'" + recipient + "' is not (or no longer) a recipient of quarantine entry '" + id + "'",
                          sdk::ErrorKind::not_found};
      }
      if (tables_.recipient_count(db, id) == 0) tables_.delete_entry(db, id);
      transaction.commit();
      return {};
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("removing '" + recipient + "' from '" + id + "' failed", e);
  }
}

sdk::Error DbStore::not_claimable(odbc::OdbcConnection& db, const std::string& id,
                                  const std::string& recipient) const {
  if (std::optional<std::int64_t> since = tables_.claimed_at(db, id, recipient)) {
    return sdk::Error{"'" + recipient + "' of quarantine entry '" + id + "' is being released by another admin (since " +
                          std::to_string(*since) + ")",
                      sdk::ErrorKind::not_found};
  }
  if (!tables_.chunk_count(db, id)) return unknown(id);
  return sdk::Error{"'" + recipient + "' is not (or no longer) a recipient of quarantine entry '" + id + "'",
                    sdk::ErrorKind::not_found};
}

sdk::Result<sdk::RecipientClaim> DbStore::claim_recipient(const std::string& id, const std::string& recipient,
                                                          std::int64_t now) {
  // Made once: a retry on a fresh connection after a lost reply finds its own claim.
  const std::string token = sdk::new_claim_token();
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Result<sdk::RecipientClaim> {
      ensure_tables(db);
      if (!tables_.claim_recipient(db, id, recipient, token, now, now - sdk::claim_lifetime_seconds)) {
        return not_claimable(db, id, recipient);
      }
      return sdk::RecipientClaim{id, recipient, token, now};
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("claiming '" + recipient + "' of '" + id + "' failed (nothing was sent)", e);
  }
}

sdk::Status DbStore::finish_claim(const sdk::RecipientClaim& claim) {
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Status {
      ensure_tables(db);
      const bool row_locks = db.family() != odbc::DbmsFamily::sqlite;
      odbc::Transaction transaction(db);
      // As in remove_recipient(): the entry's row lock orders this against the removal of the
      // entry's other recipients, so the last one to go takes the entry with it.
      if (row_locks && !tables_.lock_entry(db, claim.id)) {
        transaction.rollback();
        return lost_claim(claim);
      }
      if (tables_.delete_claimed_recipient(db, claim.id, claim.recipient, claim.token) == 0) {
        transaction.rollback();
        return lost_claim(claim);
      }
      if (tables_.recipient_count(db, claim.id) == 0) tables_.delete_entry(db, claim.id);
      transaction.commit();
      return {};
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("taking released '" + claim.recipient + "' off '" + claim.id + "' failed", e);
  }
}

sdk::Status DbStore::abandon_claim(const sdk::RecipientClaim& claim) {
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Status {
      ensure_tables(db);
      if (tables_.clear_claim(db, claim.id, claim.recipient, claim.token) == 0) return lost_claim(claim);
      return {};
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("giving back the claim on '" + claim.recipient + "' of '" + claim.id + "' failed", e);
  }
}

sdk::Status DbStore::remove(const std::string& id) {
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Status {
      ensure_tables(db);
      odbc::Transaction transaction(db);
      if (tables_.delete_entry(db, id) == 0) {
        transaction.rollback();
        return unknown(id);
      }
      transaction.commit();
      return {};
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("removing '" + id + "' failed", e);
  }
}

sdk::Result<std::optional<sdk::Note>> DbStore::read_note(const std::string& key) const {
  if (!sdk::valid_note_key(key)) return sdk::Error{"not a note key: '" + key + "'"};
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Result<std::optional<sdk::Note>> {
      ensure_tables(db);
      return tables_.note(db, key);
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("reading note '" + key + "' failed", e);
  }
}

sdk::Result<std::optional<std::int64_t>> DbStore::replace_note(const std::string& key,
                                                               std::optional<std::int64_t> expected,
                                                               const std::string& value) {
  if (!sdk::valid_note_key(key)) return sdk::Error{"not a note key: '" + key + "'"};
  const std::int64_t next = expected.value_or(0) + 1;
  int attempt = 0;
  try {
    return pool_->with_connection([&](odbc::OdbcConnection& db) -> sdk::Result<std::optional<std::int64_t>> {
      const bool retry = attempt++ > 0;
      ensure_tables(db);
      const bool won = expected ? tables_.update_note(db, key, *expected, value) : tables_.insert_note(db, key, value);
      if (won) return std::optional<std::int64_t>{next};
      // A retry after a lost reply: the first attempt may have written the note already.
      if (retry) {
        std::optional<sdk::Note> now = tables_.note(db, key);
        if (now && now->version == next && now->value == value) return std::optional<std::int64_t>{next};
      }
      return std::optional<std::int64_t>{};
    });
  } catch (const odbc::DatabaseError& e) {
    return failure("writing note '" + key + "' failed", e);
  }
}

}  // namespace qmilter::quarantine_db
