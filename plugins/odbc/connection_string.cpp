// Maps the Python ORM's database URLs onto ODBC connection strings (see the header).
#include "connection_string.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>
#include "qmilter/sdk/text.hpp"

namespace qmilter::odbc {
namespace {

// ODBC attribute values holding ; { } or edge spaces must be braced, with } doubled.
std::string odbc_value(std::string_view value) {
  bool plain = !value.empty() && value.find_first_of(";{}") == std::string_view::npos && value.front() != ' ' &&
               value.back() != ' ';
  if (plain) return std::string(value);
  std::string out = "{";
  for (char c : value) {
    out += c;
    if (c == '}') out += '}';
  }
  out += '}';
  return out;
}

// One KEY=value of a raw ODBC string: the key as written, its trimmed lower-case name, and
// the value as written (braces kept).
struct OdbcAttributeSpan {
  std::string_view key;
  std::string name;
  std::string_view value;
  bool ends_with_semicolon = false;
};

// The attributes of `odbc` in order; text after the last one that holds no '=' goes to `tail`.
std::vector<OdbcAttributeSpan> split_odbc_attributes(std::string_view odbc, std::string_view* tail) {
  std::vector<OdbcAttributeSpan> out;
  std::size_t i = 0;
  while (i < odbc.size()) {
    std::size_t eq = odbc.find('=', i);
    if (eq == std::string_view::npos) {
      if (tail != nullptr) *tail = odbc.substr(i);
      break;
    }
    OdbcAttributeSpan attribute;
    attribute.key = odbc.substr(i, eq - i);
    attribute.name = sdk::ascii_lower(attribute.key);
    attribute.name.erase(0, attribute.name.find_first_not_of(' '));
    attribute.name.erase(attribute.name.find_last_not_of(' ') + 1);
    // The value runs to the next ';', or to the matching '}' when braced.
    std::size_t end = eq + 1;
    if (end < odbc.size() && odbc[end] == '{') {
      ++end;
      while (end < odbc.size()) {
        if (odbc[end] == '}') {
          if (end + 1 < odbc.size() && odbc[end + 1] == '}') {
            end += 2;
            continue;
          }
          ++end;
          break;
        }
        ++end;
      }
    }
    end = std::min(odbc.find(';', end), odbc.size());
    attribute.value = odbc.substr(eq + 1, end - eq - 1);
    attribute.ends_with_semicolon = end < odbc.size();
    out.push_back(std::move(attribute));
    i = end + 1;
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

// "'<value as shown>': why"; parse_connection_string puts the option's name in front.
sdk::Error bad(std::string_view shown, std::string_view why) {
  return sdk::Error{"'" + std::string(shown) + "': " + std::string(why)};
}

// sqlite:///relative.db, sqlite:////absolute.db (as the Python ORM reads them).
sdk::Result<ConnectionString> parse_sqlite(std::string_view value, std::string_view rest, std::string_view config_dir,
                                           long timeout_seconds) {
  if (rest.empty() || rest.front() != '/') return bad(value, "a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path");
  std::string path(rest.substr(1));
  if (path.empty()) return bad(value, "the SQLite URL names no file");
  if (path.find('?') != std::string::npos) return bad(value, "URL query options are not supported; use a raw ODBC string");
  if (path != ":memory:" && path.front() != '/' && !config_dir.empty()) {
    path = std::string(config_dir) + (config_dir.back() == '/' ? "" : "/") + path;
  }
  ConnectionString out;
  // WAL: lookups never wait for a last_used update; synchronous=NORMAL: commits do not fsync
  // (a power loss may forget the latest last_used updates, never an entry's existence).
  out.odbc = "Driver=SQLite3;Database=" + odbc_value(path) + ";Timeout=" + std::to_string(sqlite_busy_timeout_ms(timeout_seconds)) +
             ";JournalMode=WAL;SyncPragma=NORMAL;";
  out.redacted = std::string(value);
  return out;
}

// The URL with its password replaced by "***": the only form an error or log line shows.
std::string redact_url(std::string_view value) {
  std::size_t sep = value.find("://");
  if (sep == std::string_view::npos) return std::string(value);
  std::size_t start = sep + 3;
  std::size_t end = std::min(value.find('/', start), value.size());
  std::size_t at = value.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(value);
  std::size_t colon = value.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(value);
  return std::string(value.substr(0, colon + 1)) + "***" + std::string(value.substr(at));
}

// postgresql://user:pass@host:port/db and mysql://user:pass@host:port/db; `rest` follows "://".
sdk::Result<ConnectionString> parse_server_url(std::string_view value, std::string_view scheme, std::string_view rest,
                                               long timeout_seconds) {
  const std::string shown = redact_url(value);
  const bool postgres = scheme == "postgresql" || scheme == "postgres";
  if (rest.find('?') != std::string_view::npos) return bad(shown, "URL query options are not supported; use a raw ODBC string");

  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view database = authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view{};
  std::string_view userinfo;
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  std::string_view user_raw = userinfo.substr(0, userinfo.find(':'));
  std::string_view password_raw = user_raw.size() < userinfo.size() ? userinfo.substr(user_raw.size() + 1) : std::string_view{};

  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {  // [IPv6]:port
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return bad(shown, "unclosed '[' in the host");
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port.empty() && port.front() != ':') return bad(shown, "unexpected text after the IPv6 host");
    if (!port.empty()) port.remove_prefix(1);
  } else if (std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
                        std::stol(std::string(port)) > 65535 || std::stol(std::string(port)) == 0)) {
    return bad(shown, "the port is not a number from 1 to 65535");
  }
  auto user = percent_decode(user_raw);
  auto password = percent_decode(password_raw);
  auto db = percent_decode(database);
  if (!user || !password || !db) return bad(shown, "invalid %-escape");
  if (db->empty()) return bad(shown, "the URL names no database (.../database)");

  ConnectionString out;
  out.odbc = postgres ? "Driver={PostgreSQL Unicode};" : "Driver={MariaDB Unicode};";
  out.odbc += "Server=" + odbc_value(host.empty() ? "localhost" : host) + ";";
  if (!port.empty()) out.odbc += "Port=" + std::string(port) + ";";
  out.odbc += "Database=" + odbc_value(*db) + ";";
  if (!user->empty()) out.odbc += "Uid=" + odbc_value(*user) + ";";
  if (!password->empty()) out.odbc += "Pwd=" + odbc_value(*password) + ";";
  // Neither driver bounds the whole login with SQL_ATTR_LOGIN_TIMEOUT (a server that accepts
  // the TCP connection and never answers would hang the milter): libpq's connect_timeout,
  // and MariaDB's connect/read/write timeouts. tcp_user_timeout (ms) ends a connection whose
  // peer vanished mid-query instead of waiting for TCP's retransmissions.
  const std::string seconds = std::to_string(timeout_seconds);
  if (postgres) {
    out.odbc += "pqopt={connect_timeout=" + seconds + " tcp_user_timeout=" + std::to_string(timeout_seconds * 1000) + "};";
  } else {
    out.odbc += "CONN_TIMEOUT=" + seconds + ";READ_TIMEOUT=" + seconds + ";WRITE_TIMEOUT=" + seconds + ";";
  }
  out.password = *password;
  out.redacted = shown;
  return out;
}

}  // namespace

std::string redact_odbc_string(std::string_view odbc) {
  std::string out;
  std::string_view tail;
  for (const OdbcAttributeSpan& attribute : split_odbc_attributes(odbc, &tail)) {
    out += std::string(attribute.key) + "=";
    out += (attribute.name == "pwd" || attribute.name == "password") ? std::string_view("***") : attribute.value;
    if (attribute.ends_with_semicolon) out += ';';
  }
  out += tail;
  return out;
}

long sqlite_busy_timeout_ms(long timeout_seconds) { return timeout_seconds * 1000 / 3; }

std::optional<std::string> odbc_attribute(std::string_view odbc, std::string_view key) {
  const std::string wanted = sdk::ascii_lower(key);
  for (const OdbcAttributeSpan& attribute : split_odbc_attributes(odbc, nullptr)) {
    if (attribute.name != wanted) continue;
    std::string_view value = attribute.value;
    if (value.size() >= 2 && value.front() == '{' && value.back() == '}') value = value.substr(1, value.size() - 2);
    return std::string(value);
  }
  return std::nullopt;
}

std::string with_odbc_attribute(std::string_view odbc, std::string_view key, std::string_view value) {
  const std::string wanted = sdk::ascii_lower(key);
  std::string out;
  std::string_view tail;
  bool replaced = false;
  for (const OdbcAttributeSpan& attribute : split_odbc_attributes(odbc, &tail)) {
    out += std::string(attribute.key) + "=";
    if (attribute.name == wanted) {
      out += odbc_value(value);
      replaced = true;
    } else {
      out += attribute.value;
    }
    if (attribute.ends_with_semicolon) out += ';';
  }
  out += tail;
  if (!replaced) {
    if (!out.empty() && out.back() != ';') out += ';';
    out += std::string(key) + "=" + odbc_value(value) + ";";
  }
  return out;
}

std::string mask_secret(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

namespace {

sdk::Result<ConnectionString> parse_any(std::string_view value, std::string_view config_dir, long timeout_seconds,
                                        const OptionNames& names) {
  std::size_t sep = value.find("://");
  std::string scheme = sep == std::string_view::npos ? std::string() : sdk::ascii_lower(value.substr(0, sep));
  bool url_scheme = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+';
  });
  if (url_scheme) {
    std::string_view rest = value.substr(sep + 3);
    if (scheme == "sqlite") return parse_sqlite(value, rest, config_dir, timeout_seconds);
    if (scheme == "postgresql" || scheme == "postgres" || scheme == "mysql" || scheme == "mariadb") {
      return parse_server_url(value, scheme, rest, timeout_seconds);
    }
    return bad(redact_url(value), "unknown URL scheme '" + scheme + "' (use sqlite, postgresql or mysql, or a raw ODBC string)");
  }
  if (value.find('=') == std::string_view::npos) {
    // A mistyped URL may hold a password: echo it only when it cannot.
    return bad(value.find('@') == std::string_view::npos ? value : std::string_view("(hidden: it may hold a password)"), "neither a URL (sqlite:///, postgresql://, mysql://) nor an ODBC string (DSN=... or Driver=...;...)");
  }
  ConnectionString out;
  out.odbc = std::string(value);
  out.redacted = redact_odbc_string(value);
  if (sdk::ascii_lower(odbc_attribute(value, "driver").value_or("")).find("sqlite") != std::string::npos) {
    // The driver's own default waits 100 s for a locked file: the timeout option decides.
    if (odbc_attribute(value, "timeout")) {
      return bad(out.redacted, "leave out Timeout: SQLite's busy timeout follows " + names.timeout);
    }
    out.odbc = with_odbc_attribute(value, "Timeout", std::to_string(sqlite_busy_timeout_ms(timeout_seconds)));
  }
  // Remember the password so driver diagnostics that echo it can be masked.
  std::string lowered = sdk::ascii_lower(value);
  for (std::string_view key : {"pwd=", "password="}) {
    std::size_t at = lowered.find(key);
    if (at == std::string::npos) continue;
    std::size_t start = at + key.size();
    std::size_t end = std::min(value.find(';', start), value.size());
    std::string secret(value.substr(start, end - start));
    if (secret.size() >= 2 && secret.front() == '{' && secret.back() == '}') secret = secret.substr(1, secret.size() - 2);
    out.password = secret;
  }
  return out;
}

}  // namespace

sdk::Result<ConnectionString> parse_connection_string(std::string_view value, std::string_view config_dir,
                                                      long timeout_seconds, const OptionNames& names) {
  auto parsed = parse_any(value, config_dir, timeout_seconds, names);
  if (!parsed.ok()) return sdk::Error{names.connection + " " + parsed.error().message};
  return parsed;
}

}  // namespace qmilter::odbc
