// ODBC calls for one connection (see the header). The environment handle is process-wide,
// created on first use and never freed: plugins are never unloaded.
#include "odbc_connection.hpp"

#include <sqlext.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>

#include "connection_string.hpp"

namespace qmilter::odbc {
namespace {

// SQLITE_BUSY and SQLITE_LOCKED (sqlite3.h is not needed for two numbers SQLite never changes).
constexpr SQLINTEGER sqlite_busy_code = 5;
constexpr SQLINTEGER sqlite_locked_code = 6;

SQLHENV environment() {
  static SQLHENV env = [] {
    SQLHENV handle = nullptr;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &handle))) return SQLHENV{nullptr};
    SQLSetEnvAttr(handle, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
    return handle;
  }();
  if (env == nullptr) throw DatabaseError("cannot allocate the ODBC environment (unixODBC)");
  return env;
}

std::string diagnostics(SQLSMALLINT handle_type, SQLHANDLE handle) {
  std::string out;
  for (SQLSMALLINT record = 1; record <= 5; ++record) {
    SQLCHAR state[6] = {};
    SQLCHAR message[1024] = {};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    if (!SQL_SUCCEEDED(SQLGetDiagRec(handle_type, handle, record, state, &native, message, sizeof message, &length))) break;
    if (!out.empty()) out += "; ";
    out += "[" + std::string(reinterpret_cast<char*>(state)) + "] " + reinterpret_cast<char*>(message);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  // libpq's messages span lines; a log line must stay one line.
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out.empty() ? "no diagnostic from the driver" : out;
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]" → the ODBC timestamp struct.
SQL_TIMESTAMP_STRUCT to_timestamp(const std::string& text) {
  SQL_TIMESTAMP_STRUCT ts{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char fraction[8] = {};
  int fields = std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d.%6[0-9]", &year, &month, &day, &hour, &minute, &second,
                           fraction);
  if (fields < 6) throw DatabaseError("internal error: bad timestamp '" + text + "'");
  ts.year = static_cast<SQLSMALLINT>(year);
  ts.month = static_cast<SQLUSMALLINT>(month);
  ts.day = static_cast<SQLUSMALLINT>(day);
  ts.hour = static_cast<SQLUSMALLINT>(hour);
  ts.minute = static_cast<SQLUSMALLINT>(minute);
  ts.second = static_cast<SQLUSMALLINT>(second);
  if (fields == 7) {
    std::string digits(fraction);
    digits.resize(9, '0');  // nanoseconds
    ts.fraction = static_cast<SQLUINTEGER>(std::stoul(digits));
  }
  return ts;
}

DbmsFamily family_of(const std::string& name) {
  std::string lowered;
  for (char c : name) lowered += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  if (lowered.find("sqlite") != std::string::npos) return DbmsFamily::sqlite;
  if (lowered.find("postgres") != std::string::npos) return DbmsFamily::postgresql;
  if (lowered.find("mysql") != std::string::npos || lowered.find("mariadb") != std::string::npos) return DbmsFamily::mysql;
  return DbmsFamily::other;
}

// Frees a statement handle on every path out of execute().
struct StatementHandle {
  SQLHSTMT handle = nullptr;
  ~StatementHandle() {
    if (handle != nullptr) SQLFreeHandle(SQL_HANDLE_STMT, handle);
  }
};

// Closes the cursor and unbinds the parameters of a prepared statement after each use, so the
// next execution starts clean (the statement itself stays prepared).
struct ResetOnExit {
  SQLHSTMT handle = nullptr;
  ~ResetOnExit() {
    if (handle == nullptr) return;
    SQLFreeStmt(handle, SQL_CLOSE);
    SQLFreeStmt(handle, SQL_RESET_PARAMS);
  }
};

}  // namespace

SQLHSTMT OdbcConnection::prepared(const std::string& sql) {
  if (auto found = prepared_.find(sql); found != prepared_.end()) return found->second;
  if (prepared_.size() >= max_prepared_) free_prepared();  // lists of many lengths: start over
  SQLHSTMT handle = nullptr;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc_, &handle))) fail(SQL_HANDLE_DBC, dbc_, "cannot allocate a statement");
  SQLSetStmtAttr(handle, SQL_ATTR_QUERY_TIMEOUT, reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(timeout_seconds_)), 0);
  std::string text = sql;
  if (!SQL_SUCCEEDED(SQLPrepare(handle, reinterpret_cast<SQLCHAR*>(text.data()), static_cast<SQLINTEGER>(text.size())))) {
    std::string why = mask_secret(diagnostics(SQL_HANDLE_STMT, handle), password_);
    SQLFreeHandle(SQL_HANDLE_STMT, handle);
    throw DatabaseError("cannot prepare a statement: " + why);
  }
  prepared_.emplace(sql, handle);
  return handle;
}

void OdbcConnection::free_prepared() noexcept {
  for (auto& [sql, handle] : prepared_) SQLFreeHandle(SQL_HANDLE_STMT, handle);
  prepared_.clear();
}

OdbcConnection::OdbcConnection(const std::string& odbc_string, long timeout_seconds, std::string password)
    : timeout_seconds_(timeout_seconds), password_(std::move(password)) {
  SQLHENV env = environment();
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc_))) {
    dbc_ = nullptr;
    throw DatabaseError("cannot allocate an ODBC connection handle: " + diagnostics(SQL_HANDLE_ENV, env));
  }
  auto timeout = reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(timeout_seconds_));
  SQLSetConnectAttr(dbc_, SQL_ATTR_LOGIN_TIMEOUT, timeout, 0);
  SQLSetConnectAttr(dbc_, SQL_ATTR_CONNECTION_TIMEOUT, timeout, 0);

  std::string in = odbc_string;
  SQLCHAR out[1024];
  SQLSMALLINT out_length = 0;
  SQLRETURN rc = SQLDriverConnect(dbc_, nullptr, reinterpret_cast<SQLCHAR*>(in.data()), static_cast<SQLSMALLINT>(in.size()),
                                  out, sizeof out, &out_length, SQL_DRIVER_NOPROMPT);
  std::memset(out, 0, sizeof out);  // the completed string repeats the password
  if (!SQL_SUCCEEDED(rc)) {
    std::string why = mask_secret(diagnostics(SQL_HANDLE_DBC, dbc_), password_);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc_);
    dbc_ = nullptr;
    throw DatabaseError("cannot connect: " + why);
  }
  SQLCHAR name[128] = {};
  SQLSMALLINT name_length = 0;
  if (SQL_SUCCEEDED(SQLGetInfo(dbc_, SQL_DBMS_NAME, name, sizeof name, &name_length))) {
    dbms_name_ = reinterpret_cast<char*>(name);
  }
  family_ = family_of(dbms_name_);
}

OdbcConnection::~OdbcConnection() {
  if (dbc_ == nullptr) return;
  free_prepared();
  SQLDisconnect(dbc_);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc_);
}

void OdbcConnection::fail(SQLSMALLINT handle_type, SQLHANDLE handle, const std::string& what) const {
  std::string why = what + ": " + mask_secret(diagnostics(handle_type, handle), password_);
  // The SQLite driver reports SQLite's own result code as the native error.
  SQLCHAR state[6] = {};
  SQLINTEGER native = 0;
  SQLSMALLINT length = 0;
  const bool busy = family_ == DbmsFamily::sqlite &&
                    SQL_SUCCEEDED(SQLGetDiagRec(handle_type, handle, 1, state, &native, nullptr, 0, &length)) &&
                    ((native & 0xff) == sqlite_busy_code || (native & 0xff) == sqlite_locked_code);
  if (busy) throw DatabaseBusy(why);
  throw DatabaseError(why);
}

SQLRETURN OdbcConnection::run(SQLHSTMT handle, const std::string& sql, const std::vector<SqlParam>& params, bool reuse) {
  // Buffers must stay at fixed addresses until the statement has run.
  std::deque<SQLLEN> lengths;
  std::deque<SQLBIGINT> integers;
  std::deque<SQL_TIMESTAMP_STRUCT> timestamps;
  std::deque<unsigned char> bits;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const SqlParam& param = params[i];
    auto number = static_cast<SQLUSMALLINT>(i + 1);
    SQLRETURN rc = SQL_SUCCESS;
    bool as_text = param.kind == SqlParam::Kind::text ||
                   (param.kind == SqlParam::Kind::timestamp && family_ == DbmsFamily::sqlite);
    if (as_text) {
      SQLLEN& length = lengths.emplace_back(static_cast<SQLLEN>(param.text.size()));
      rc = SQLBindParameter(handle, number, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
                            std::max<SQLULEN>(param.text.size(), 1), 0,
                            const_cast<char*>(param.text.data()), length, &length);
    } else if (param.kind == SqlParam::Kind::binary) {
      // SQL_VARBINARY, not SQL_LONGVARBINARY: psqlODBC maps the latter to large objects.
      SQLLEN& length = lengths.emplace_back(static_cast<SQLLEN>(param.text.size()));
      rc = SQLBindParameter(handle, number, SQL_PARAM_INPUT, SQL_C_BINARY, SQL_VARBINARY,
                            std::max<SQLULEN>(param.text.size(), 1), 0,
                            const_cast<char*>(param.text.data()), length, &length);
    } else if (param.kind == SqlParam::Kind::timestamp) {
      SQL_TIMESTAMP_STRUCT& ts = timestamps.emplace_back(to_timestamp(param.text));
      SQLLEN& length = lengths.emplace_back(static_cast<SQLLEN>(sizeof ts));
      rc = SQLBindParameter(handle, number, SQL_PARAM_INPUT, SQL_C_TYPE_TIMESTAMP, SQL_TYPE_TIMESTAMP, 26, 6, &ts,
                            sizeof ts, &length);
    } else if (param.kind == SqlParam::Kind::boolean && family_ == DbmsFamily::postgresql) {
      unsigned char& bit = bits.emplace_back(static_cast<unsigned char>(param.integer != 0));
      SQLLEN& length = lengths.emplace_back(1);
      rc = SQLBindParameter(handle, number, SQL_PARAM_INPUT, SQL_C_BIT, SQL_BIT, 1, 0, &bit, 1, &length);
    } else {
      SQLBIGINT& value = integers.emplace_back(param.integer);
      SQLLEN& length = lengths.emplace_back(static_cast<SQLLEN>(sizeof value));
      rc = SQLBindParameter(handle, number, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &value, sizeof value,
                            &length);
    }
    if (!SQL_SUCCEEDED(rc)) fail(SQL_HANDLE_STMT, handle, "cannot bind parameter " + std::to_string(number));
  }

  std::string text = sql;
  SQLRETURN rc = reuse ? SQLExecute(handle)
                       : SQLExecDirect(handle, reinterpret_cast<SQLCHAR*>(text.data()), static_cast<SQLINTEGER>(text.size()));
  if (rc != SQL_NO_DATA && !SQL_SUCCEEDED(rc)) fail(SQL_HANDLE_STMT, handle, "query failed");
  return rc;
}

std::vector<Row> OdbcConnection::execute(const std::string& sql, const std::vector<SqlParam>& params,
                                         std::int64_t* affected_rows) {
  // Parameterised statements (the lookups and updates) are prepared once per connection and
  // re-executed: the server plans them once. One-off statements (DDL) run directly.
  const bool reuse = !params.empty();
  StatementHandle one_off;
  SQLHSTMT handle = reuse ? prepared(sql) : nullptr;
  if (!reuse) {
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc_, &one_off.handle))) {
      one_off.handle = nullptr;
      fail(SQL_HANDLE_DBC, dbc_, "cannot allocate a statement");
    }
    handle = one_off.handle;
    // Not every driver supports a query timeout; the connection's own timeouts still apply.
    SQLSetStmtAttr(handle, SQL_ATTR_QUERY_TIMEOUT, reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(timeout_seconds_)), 0);
  }
  ResetOnExit reset{reuse ? handle : nullptr};
  SQLRETURN rc = run(handle, sql, params, reuse);
  if (affected_rows != nullptr) {
    SQLLEN count = 0;
    *affected_rows = (rc != SQL_NO_DATA && SQL_SUCCEEDED(SQLRowCount(handle, &count))) ? count : 0;
  }

  std::vector<Row> rows;
  SQLSMALLINT columns = 0;
  if (rc == SQL_NO_DATA || !SQL_SUCCEEDED(SQLNumResultCols(handle, &columns)) || columns == 0) return rows;
  for (;;) {
    SQLRETURN fetched = SQLFetch(handle);
    if (fetched == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(fetched)) fail(SQL_HANDLE_STMT, handle, "fetching a row failed");
    Row& row = rows.emplace_back();
    for (SQLUSMALLINT column = 1; column <= static_cast<SQLUSMALLINT>(columns); ++column) {
      std::string value;
      bool is_null = false;
      char buffer[512];
      for (;;) {
        SQLLEN indicator = 0;
        SQLRETURN got = SQLGetData(handle, column, SQL_C_CHAR, buffer, sizeof buffer, &indicator);
        if (got == SQL_NO_DATA) break;
        if (!SQL_SUCCEEDED(got)) fail(SQL_HANDLE_STMT, handle, "reading a column failed");
        if (indicator == SQL_NULL_DATA) {
          is_null = true;
          break;
        }
        bool truncated = got == SQL_SUCCESS_WITH_INFO && (indicator == SQL_NO_TOTAL || indicator >= static_cast<SQLLEN>(sizeof buffer));
        value.append(buffer, truncated ? sizeof buffer - 1 : static_cast<std::size_t>(indicator));
        if (!truncated) break;
      }
      if (is_null) row.emplace_back(std::nullopt);
      else row.emplace_back(std::move(value));
    }
  }
  return rows;
}

std::size_t OdbcConnection::read_binary(const std::string& sql, const std::vector<SqlParam>& params,
                                        const std::function<bool(std::string_view)>& visit, std::size_t piece) {
  SQLHSTMT handle = prepared(sql);
  ResetOnExit reset{handle};
  SQLRETURN rc = run(handle, sql, params, true);
  if (rc == SQL_NO_DATA) return 0;
  std::string buffer(std::max<std::size_t>(piece, 1), '\0');
  std::size_t rows = 0;
  for (;;) {
    SQLRETURN fetched = SQLFetch(handle);
    if (fetched == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(fetched)) fail(SQL_HANDLE_STMT, handle, "fetching a row failed");
    ++rows;
    for (;;) {
      SQLLEN indicator = 0;
      SQLRETURN got = SQLGetData(handle, 1, SQL_C_BINARY, buffer.data(), static_cast<SQLLEN>(buffer.size()), &indicator);
      if (got == SQL_NO_DATA) break;
      if (!SQL_SUCCEEDED(got)) fail(SQL_HANDLE_STMT, handle, "reading a column failed");
      if (indicator == SQL_NULL_DATA) break;
      // Binary data has no terminator: a piece that did not fit fills the whole buffer.
      const bool more = got == SQL_SUCCESS_WITH_INFO &&
                        (indicator == SQL_NO_TOTAL || indicator > static_cast<SQLLEN>(buffer.size()));
      const std::size_t size = more ? buffer.size() : static_cast<std::size_t>(indicator);
      if (size != 0 && !visit(std::string_view(buffer.data(), size))) return rows;
      if (!more) break;
    }
  }
  return rows;
}

void OdbcConnection::begin() {
  if (!SQL_SUCCEEDED(SQLSetConnectAttr(dbc_, SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_OFF), 0))) {
    fail(SQL_HANDLE_DBC, dbc_, "cannot start a transaction");
  }
}

void OdbcConnection::end_transaction(SQLSMALLINT completion) {
  const bool ended = SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, dbc_, completion));
  // Back to autocommit even after a failed end: the next user expects it.
  const bool reset = SQL_SUCCEEDED(
      SQLSetConnectAttr(dbc_, SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_ON), 0));
  if (!ended) fail(SQL_HANDLE_DBC, dbc_, completion == SQL_COMMIT ? "commit failed" : "rollback failed");
  if (!reset) fail(SQL_HANDLE_DBC, dbc_, "cannot return to autocommit");
}

void OdbcConnection::commit() { end_transaction(SQL_COMMIT); }

void OdbcConnection::rollback() { end_transaction(SQL_ROLLBACK); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.rollback();
  } catch (const DatabaseError&) {
    // A broken connection: the server rolls back when it goes, and the pool drops it
    // because the error that brought us here is on its way up.
  }
}

bool OdbcConnection::table_exists(const std::string& table) {
  StatementHandle stmt;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc_, &stmt.handle))) {
    stmt.handle = nullptr;
    fail(SQL_HANDLE_DBC, dbc_, "cannot allocate a statement");
  }
  std::string name = table;
  std::string type = "TABLE";
  SQLRETURN rc = SQLTables(stmt.handle, nullptr, 0, nullptr, 0, reinterpret_cast<SQLCHAR*>(name.data()),
                           static_cast<SQLSMALLINT>(name.size()), reinterpret_cast<SQLCHAR*>(type.data()),
                           static_cast<SQLSMALLINT>(type.size()));
  if (!SQL_SUCCEEDED(rc)) fail(SQL_HANDLE_STMT, stmt.handle, "cannot list tables");
  SQLRETURN fetched = SQLFetch(stmt.handle);
  if (fetched == SQL_NO_DATA) return false;
  if (!SQL_SUCCEEDED(fetched)) fail(SQL_HANDLE_STMT, stmt.handle, "cannot list tables");
  return true;
}

}  // namespace qmilter::odbc
