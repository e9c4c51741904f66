// One ODBC connection and the statements run on it: parameterised execution, rows fetched
// as text, binary values in and out, transactions, diagnostics turned into DatabaseError. Not thread-safe: a connection is used by one
// thread at a time (the pool hands it out exclusively). Exceptions stay inside the plugin;
// the Whitelist methods catch them at the boundary.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sql.h>

namespace qmilter::odbc {

class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A SQLite file locked by another connection past the busy timeout. The connection itself is
// sound (the pool keeps it), and any further statement would wait as long again.
class DatabaseBusy : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

// A bound parameter. Timestamps are local-time text "YYYY-MM-DD HH:MM:SS.ffffff"; how they
// and booleans reach the server depends on the dialect (see SqlDialect).
struct SqlParam {
  enum class Kind { text, integer, timestamp, boolean, binary };
  Kind kind = Kind::text;
  std::string text;
  std::int64_t integer = 0;

  static SqlParam of_text(std::string value) { return {Kind::text, std::move(value), 0}; }
  static SqlParam of_integer(std::int64_t value) { return {Kind::integer, {}, value}; }
  static SqlParam of_timestamp(std::string value) { return {Kind::timestamp, std::move(value), 0}; }
  static SqlParam of_boolean(bool value) { return {Kind::boolean, {}, value ? 1 : 0}; }
  // Bytes (bytea, LONGBLOB, BLOB). The value is copied; a store binds a chunk at a time.
  static SqlParam of_binary(std::string_view value) { return {Kind::binary, std::string(value), 0}; }
};

using Row = std::vector<std::optional<std::string>>;

enum class DbmsFamily { sqlite, postgresql, mysql, other };

class OdbcConnection {
 public:
  // Connects with login/connection timeouts of timeout_seconds; throws DatabaseError.
  // `password` is masked out of any diagnostic text.
  OdbcConnection(const std::string& odbc_string, long timeout_seconds, std::string password);
  ~OdbcConnection();
  OdbcConnection(const OdbcConnection&) = delete;
  OdbcConnection& operator=(const OdbcConnection&) = delete;

  DbmsFamily family() const noexcept { return family_; }
  const std::string& dbms_name() const noexcept { return dbms_name_; }

  // Runs one statement; returns the rows of its result set (empty when it has none) and,
  // through affected_rows, SQLRowCount.
  std::vector<Row> execute(const std::string& sql, const std::vector<SqlParam>& params = {},
                           std::int64_t* affected_rows = nullptr);

  // Runs a query and hands column 1 of each row, read as bytes in pieces of at most
  // `piece` bytes, to `visit`; `visit` returning false stops the reading. Returns the number
  // of rows seen. A NULL value counts as a row with no bytes.
  std::size_t read_binary(const std::string& sql, const std::vector<SqlParam>& params,
                          const std::function<bool(std::string_view)>& visit, std::size_t piece = 64 * 1024);

  // Whether the table exists (catalog lookup, no statement on the table itself).
  bool table_exists(const std::string& table);

  // Transactions: begin() turns autocommit off; commit() and rollback() end the transaction
  // and turn it back on, so a connection returns to the pool as it came.
  void begin();
  void commit();
  void rollback();

 private:
  SQLHSTMT prepared(const std::string& sql);
  // Binds the parameters and runs the statement; returns the SQLExecute result.
  SQLRETURN run(SQLHSTMT handle, const std::string& sql, const std::vector<SqlParam>& params, bool reuse);
  void end_transaction(SQLSMALLINT completion);
  void free_prepared() noexcept;
  [[noreturn]] void fail(SQLSMALLINT handle_type, SQLHANDLE handle, const std::string& what) const;

  SQLHDBC dbc_ = nullptr;
  long timeout_seconds_;
  std::string password_;
  DbmsFamily family_ = DbmsFamily::other;
  std::string dbms_name_;
  std::map<std::string, SQLHSTMT> prepared_;  // SQL text -> statement prepared on this connection
  static constexpr std::size_t max_prepared_ = 64;
};

// Rolls back on destruction unless committed, so every way out of a unit of work that has
// not committed (an exception included) leaves nothing behind.
class Transaction {
 public:
  explicit Transaction(OdbcConnection& db) : db_(db) { db_.begin(); }
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    open_ = false;
    db_.commit();
  }
  // Ends it now, throwing when the rollback fails (the destructor cannot say so).
  void rollback() {
    open_ = false;
    db_.rollback();
  }

 private:
  OdbcConnection& db_;
  bool open_ = true;
};

}  // namespace qmilter::odbc
