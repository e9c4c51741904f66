// Turns a plugin's `*_db_connection` option into an ODBC connection string: the Python ORM's URLs
// (sqlite:///path, postgresql://user:pass@host:port/db, mysql://...) map to the SQLite3,
// PostgreSQL Unicode and MariaDB Unicode drivers; raw ODBC strings (DSN=..., Driver=...) pass
// as given. Also gives the redacted form that is the only one ever written to a log.
// Pure functions, no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "qmilter/sdk/result.hpp"

namespace qmilter::odbc {

struct ConnectionString {
  std::string odbc;      // what SQLDriverConnect gets; holds the password
  std::string redacted;  // the value as configured, password replaced by "***"
  std::string password;  // "" when none; masked out of any driver message before logging
};

// The options a plugin names its database with, for the error messages.
struct OptionNames {
  std::string connection;  // e.g. "whitelist_db_connection"
  std::string timeout;     // e.g. "whitelist_db_timeout"
};

// config_dir resolves relative SQLite paths; timeout_seconds goes into the driver options
// that have no ODBC attribute (SQLite's busy timeout, libpq's connect_timeout). A raw string
// naming a SQLite driver gets the busy timeout too, and may not set its own.
sdk::Result<ConnectionString> parse_connection_string(std::string_view value, std::string_view config_dir,
                                                      long timeout_seconds, const OptionNames& names);

// The SQLite3 ODBC driver's busy timeout (its `Timeout` attribute, ms) that bounds a lookup
// on a locked file by timeout_seconds. The driver waits `Timeout` several times: once for a
// URL's switch to WAL when it connects, then twice per statement (SQLite's busy handler,
// then the driver's own retry of the busy statement). A third keeps those three within.
long sqlite_busy_timeout_ms(long timeout_seconds);

// The value of attribute `key` (case-insensitive, braces removed) of a raw ODBC string, or
// nothing when the string does not set it.
std::optional<std::string> odbc_attribute(std::string_view odbc, std::string_view key);

// `odbc` with attribute `key` set to `value`: replaced where it is set, appended otherwise.
std::string with_odbc_attribute(std::string_view odbc, std::string_view key, std::string_view value);

// Replaces the value of every PWD=/Password= key of a raw ODBC string by "***".
std::string redact_odbc_string(std::string_view odbc);

// Masks each occurrence of `secret` in `text` (driver diagnostics may echo the connection).
std::string mask_secret(std::string text, std::string_view secret);

}  // namespace qmilter::odbc
