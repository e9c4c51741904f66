// The three tables of a db quarantine and every statement on them. With prefix P:
//   P_entries     one row per entry: id, host, queue_id, mailfrom, date (Unix time, UTC), the
//                 headers/subgroups/named_subgroups JSON, size (bytes) and chunks (rows)
//   P_recipients  one row per entry and recipient (entry_id, position, recipient, and the
//                 release claim on it: claim token, '' when none, claimed_at Unix time)
//   P_chunks      the stored message (headers, empty line, body) in rows of at most 1 MiB
//                 (entry_id, seq, data: bytea / LONGBLOB / BLOB)
//   P_notes       the notes host programs keep in the store (note_key, version, value)
// Created when missing, in each server's own types (documented in qmilter.conf(5)). All values
// are bound parameters; the prefix is checked to be a plain identifier. Immutable, so safe to share between threads;
// each call runs on the connection it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "odbc_connection.hpp"
#include "qmilter/sdk/store.hpp"

namespace qmilter::quarantine_db {

// What store() writes into P_entries.
struct EntryRow {
  std::string id;
  std::string host;
  std::string queue_id;
  std::string mailfrom;
  std::int64_t date = 0;
  std::string headers;  // JSON, see entry_json.hpp
  std::string subgroups;
  std::string named_subgroups;
  std::int64_t size = 0;
  std::int64_t chunks = 0;
};

// What find() narrows by in SQL; entry_matches() still decides. `date_at_most` is the
// age filter as a cutoff (none when the filter has no age, or its cutoff does not fit).
struct EntryQuery {
  std::optional<std::string> id;
  std::vector<std::string> from;
  std::vector<std::string> to;
  std::optional<std::int64_t> date_at_most;
};

class QuarantineTables {
 public:
  explicit QuarantineTables(std::string prefix);

  // Letters, digits and '_', not starting with a digit, short enough that every table and
  // index name stays within the 63 characters PostgreSQL allows.
  static bool valid_prefix(const std::string& prefix);
  static constexpr std::size_t max_prefix_length = 42;

  const std::string& prefix() const noexcept { return prefix_; }
  std::string entries_table() const { return prefix_ + "_entries"; }

  void ensure(odbc::OdbcConnection& db) const;

  void insert_entry(odbc::OdbcConnection& db, const EntryRow& row) const;
  void insert_recipient(odbc::OdbcConnection& db, const std::string& id, std::int64_t position,
                        const std::string& recipient) const;
  void insert_chunk(odbc::OdbcConnection& db, const std::string& id, std::uint32_t seq, std::string_view data) const;

  // PostgreSQL only: a message of one chunk, its recipients and its entry row in a single
  // statement (data-modifying CTEs), atomic without BEGIN and COMMIT round trips.
  void insert_whole_entry(odbc::OdbcConnection& db, const EntryRow& row, const std::vector<std::string>& recipients,
                          std::string_view data) const;

  // Complete entries (every recipient, in the order stored) matching the query. Throws
  // DatabaseError; an entry whose JSON columns are malformed is an odbc::DatabaseError too.
  std::vector<sdk::StoredEntry> entries(odbc::OdbcConnection& db, const EntryQuery& query) const;

  // How many chunk rows the entry has, or nothing when there is no such entry.
  std::optional<std::int64_t> chunk_count(odbc::OdbcConnection& db, const std::string& id) const;
  // Hands chunk `seq` of the entry to `visit` in pieces; false when there is no such row.
  bool read_chunk(odbc::OdbcConnection& db, const std::string& id, std::int64_t seq,
                  const std::function<bool(std::string_view)>& visit) const;

  // Inside a transaction: locks the entry's row against concurrent removals (SELECT ... FOR
  // UPDATE; on SQLite the first write takes the database's write lock instead). Whether
  // the entry exists.
  bool lock_entry(odbc::OdbcConnection& db, const std::string& id) const;
  // Claims one recipient with `token` in a single conditional UPDATE: it wins when the row is
  // unclaimed, claimed at or before `expired_at_or_before`, or already claimed with `token` (a
  // retry after a lost reply). Whether it won.
  bool claim_recipient(odbc::OdbcConnection& db, const std::string& id, const std::string& recipient,
                       const std::string& token, std::int64_t now, std::int64_t expired_at_or_before) const;
  // When the recipient row is there, its claimed_at (0 when unclaimed).
  std::optional<std::int64_t> claimed_at(odbc::OdbcConnection& db, const std::string& id,
                                         const std::string& recipient) const;
  // Deletes the recipient row only while it is claimed with `token`; how many rows went.
  std::int64_t delete_claimed_recipient(odbc::OdbcConnection& db, const std::string& id, const std::string& recipient,
                                        const std::string& token) const;
  // Makes the recipient unclaimed again only while it is claimed with `token`; how many rows.
  std::int64_t clear_claim(odbc::OdbcConnection& db, const std::string& id, const std::string& recipient,
                           const std::string& token) const;
  // Deletes one recipient row; how many rows went (0 or 1).
  std::int64_t delete_recipient(odbc::OdbcConnection& db, const std::string& id, const std::string& recipient) const;
  std::int64_t recipient_count(odbc::OdbcConnection& db, const std::string& id) const;
  // Deletes the entry's rows in all three tables; how many entry rows went (0 or 1).
  std::int64_t delete_entry(odbc::OdbcConnection& db, const std::string& id) const;

  std::optional<sdk::Note> note(odbc::OdbcConnection& db, const std::string& key) const;
  // Creates the note at version 1 unless one has the key (an insert that does nothing on a
  // duplicate key); whether it did.
  bool insert_note(odbc::OdbcConnection& db, const std::string& key, const std::string& value) const;
  // Sets the note to `value` at version expected + 1 in one conditional UPDATE, only while it
  // is at `expected`; whether it did.
  bool update_note(odbc::OdbcConnection& db, const std::string& key, std::int64_t expected,
                   const std::string& value) const;

 private:
  std::string quoted(const odbc::OdbcConnection& db, const std::string& identifier) const;
  std::string table(const odbc::OdbcConnection& db, const char* suffix) const;
  // Adds a column to a table made by an older version; safe when another host does it at once.
  void add_column_if_missing(odbc::OdbcConnection& db, const std::string& table, const std::string& column,
                             const std::string& definition) const;

  std::string prefix_;
};

}  // namespace qmilter::quarantine_db
