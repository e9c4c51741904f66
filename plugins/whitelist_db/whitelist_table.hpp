// The SQL of the whitelist table, per database family: the schema compatible with
// pyquarantine's table, created when missing, and every statement the plugin runs, all
// parameterised. Immutable after construction; the methods run on a connection the caller
// holds exclusively.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "odbc_connection.hpp"
#include "qmilter/sdk/whitelist.hpp"

namespace qmilter::whitelist_db {

// A row of the table as the lookup needs it.
struct CandidateRow {
  std::int64_t id = 0;
  std::string mailfrom;
  std::string recipient;
  std::string last_used;
  bool permanent = false;
};

class WhitelistTable {
 public:
  // table: [A-Za-z_][A-Za-z0-9_]* (checked by valid_table_name); quarantine: names the index.
  WhitelistTable(std::string table, const std::string& quarantine);

  static bool valid_table_name(const std::string& table);
  const std::string& name() const noexcept { return table_; }

  // Creates the table and its unique index when the table is missing; an existing table
  // (e.g. pyquarantine's) is used as it is.
  void ensure(odbc::OdbcConnection& db) const;

  // Every entry whose mailfrom is one of `mailfroms` and recipient one of `recipients`
  // (neither empty), by id.
  std::vector<CandidateRow> candidates(odbc::OdbcConnection& db, std::vector<std::string> mailfroms,
                                       std::vector<std::string> recipients) const;
  void touch(odbc::OdbcConnection& db, const std::vector<std::int64_t>& ids, const std::string& now) const;

  // Admin side. Empty vectors match everything.
  std::vector<sdk::WhitelistEntry> entries(odbc::OdbcConnection& db, const std::vector<std::string>& mailfroms,
                                           const std::vector<std::string>& recipients) const;
  std::optional<std::int64_t> find_id(odbc::OdbcConnection& db, const std::string& mailfrom, const std::string& recipient) const;
  void insert(odbc::OdbcConnection& db, const sdk::WhitelistEntry& entry, const std::string& now) const;
  std::int64_t remove(odbc::OdbcConnection& db, const std::vector<std::int64_t>& ids) const;

 private:
  std::string quoted(const odbc::OdbcConnection& db, const std::string& identifier) const;
  std::string select_columns(const odbc::OdbcConnection& db, const char* const* columns, std::size_t count) const;

  std::string table_;
  std::string index_;
};

// Python's truthiness of a stored `permanent`: 1/t/true/y/yes (case-insensitive).
bool stored_true(const std::optional<std::string>& value);

}  // namespace qmilter::whitelist_db
