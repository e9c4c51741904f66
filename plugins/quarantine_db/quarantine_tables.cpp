// The db quarantine's schema and statements (see the header).
#include "quarantine_tables.hpp"

#include <algorithm>

#include "entry_json.hpp"

namespace qmilter::quarantine_db {
namespace {

using odbc::DbmsFamily;
using odbc::SqlParam;

std::string placeholders(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += i == 0 ? "?" : ", ?";
  return text;
}

void add_texts(std::vector<SqlParam>& params, const std::vector<std::string>& values) {
  for (const std::string& value : values) params.push_back(SqlParam::of_text(value));
}

std::int64_t as_integer(const std::optional<std::string>& value, const char* what) {
  if (!value) throw odbc::DatabaseError(std::string("a NULL ") + what + " in the quarantine tables");
  try {
    return std::stoll(*value);
  } catch (const std::exception&) {
    throw odbc::DatabaseError(std::string("a non-numeric ") + what + " '" + *value + "' in the quarantine tables");
  }
}

// Column types per server: [id, recipient, text, binary, note key, table options].
struct Dialect {
  const char* id;
  const char* recipient;
  const char* text;
  const char* binary;
  const char* note_key;
  const char* table_options;
};

Dialect dialect_of(DbmsFamily family) {
  switch (family) {
    case DbmsFamily::postgresql:
      return {"VARCHAR(255)", "TEXT", "TEXT", "BYTEA", "TEXT", ""};
    case DbmsFamily::mysql:
      // Binary collation: ids and addresses compare exactly, as everywhere else. The ASCII
      // id keeps the recipients' primary key within InnoDB's 3072-byte limit.
      // Note keys are printable ASCII: 1024 of them stay within the same limit.
      return {"VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin", "VARCHAR(512)", "LONGTEXT", "LONGBLOB",
              "VARCHAR(1024) CHARACTER SET ascii COLLATE ascii_bin",
              " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"};
    default:
      return {"TEXT", "TEXT", "TEXT", "BLOB", "TEXT", ""};
  }
}

}  // namespace

QuarantineTables::QuarantineTables(std::string prefix) : prefix_(std::move(prefix)) {}

bool QuarantineTables::valid_prefix(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > max_prefix_length) return false;
  if (prefix[0] >= '0' && prefix[0] <= '9') return false;
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string QuarantineTables::quoted(const odbc::OdbcConnection& db, const std::string& identifier) const {
  // Identifiers are checked to hold no quote characters, so no escaping is needed.
  if (db.family() == DbmsFamily::mysql) return "`" + identifier + "`";
  return "\"" + identifier + "\"";
}

std::string QuarantineTables::table(const odbc::OdbcConnection& db, const char* suffix) const {
  return quoted(db, prefix_ + suffix);
}

void QuarantineTables::ensure(odbc::OdbcConnection& db) const {
  const Dialect d = dialect_of(db.family());
  const std::string entries = table(db, "_entries");
  const std::string recipients = table(db, "_recipients");
  const std::string chunks = table(db, "_chunks");
  auto q = [&](const char* name) { return quoted(db, name); };
  db.execute("CREATE TABLE IF NOT EXISTS " + entries + " (" + q("id") + " " + d.id + " NOT NULL PRIMARY KEY, " +
             q("host") + " " + d.text + " NOT NULL, " + q("queue_id") + " " + d.text + " NOT NULL, " + q("mailfrom") +
             " " + d.text + " NOT NULL, " + q("date") + " BIGINT NOT NULL, " + q("headers") + " " + d.text +
             " NOT NULL, " + q("subgroups") + " " + d.text + " NOT NULL, " + q("named_subgroups") + " " + d.text +
             " NOT NULL, " + q("size") + " BIGINT NOT NULL, " + q("chunks") + " BIGINT NOT NULL)" + d.table_options);
  const std::string claim_column = q("claim") + " " + d.id + " NOT NULL DEFAULT ''";
  const std::string claimed_at_column = q("claimed_at") + " BIGINT NOT NULL DEFAULT 0";
  db.execute("CREATE TABLE IF NOT EXISTS " + recipients + " (" + q("entry_id") + " " + d.id + " NOT NULL, " +
             q("position") + " INTEGER NOT NULL, " + q("recipient") + " " + d.recipient + " NOT NULL, " +
             claim_column + ", " + claimed_at_column + ", PRIMARY KEY (" + q("entry_id") + ", " + q("recipient") +
             "))" + d.table_options);
  add_column_if_missing(db, recipients, q("claim"), claim_column);
  add_column_if_missing(db, recipients, q("claimed_at"), claimed_at_column);
  db.execute("CREATE TABLE IF NOT EXISTS " + chunks + " (" + q("entry_id") + " " + d.id + " NOT NULL, " + q("seq") +
             " BIGINT NOT NULL, " + q("data") + " " + d.binary + " NOT NULL, PRIMARY KEY (" + q("entry_id") + ", " +
             q("seq") + "))" + d.table_options);
  db.execute("CREATE TABLE IF NOT EXISTS " + table(db, "_notes") + " (" + q("note_key") + " " + d.note_key +
             " NOT NULL PRIMARY KEY, " + q("version") + " BIGINT NOT NULL, " + q("value") + " " + d.text +
             " NOT NULL)" + d.table_options);
  // For the recipient filter and for purge's age filter.
  db.execute("CREATE INDEX IF NOT EXISTS " + quoted(db, prefix_ + "_recipients_recipient") + " ON " + recipients +
             " (" + q("recipient") + ")");
  db.execute("CREATE INDEX IF NOT EXISTS " + quoted(db, prefix_ + "_entries_date") + " ON " + entries + " (" +
             q("date") + ")");
}

void QuarantineTables::add_column_if_missing(odbc::OdbcConnection& db, const std::string& table,
                                             const std::string& column, const std::string& definition) const {
  auto present = [&] {
    try {
      // Qualified: SQLite takes an unknown "quoted" name alone for a string literal.
      db.execute("SELECT t." + column + " FROM " + table + " t WHERE 1 = 0");
      return true;
    } catch (const odbc::DatabaseError&) {
      return false;
    }
  };
  if (present()) return;
  try {
    db.execute("ALTER TABLE " + table + " ADD COLUMN " + definition);
  } catch (const odbc::DatabaseError&) {
    if (!present()) throw;  // not another host that added it first
  }
}

void QuarantineTables::insert_entry(odbc::OdbcConnection& db, const EntryRow& row) const {
  db.execute("INSERT INTO " + table(db, "_entries") +
                 " (" + quoted(db, "id") + ", " + quoted(db, "host") + ", " + quoted(db, "queue_id") + ", " +
                 quoted(db, "mailfrom") + ", " + quoted(db, "date") + ", " + quoted(db, "headers") + ", " +
                 quoted(db, "subgroups") + ", " + quoted(db, "named_subgroups") + ", " + quoted(db, "size") + ", " +
                 quoted(db, "chunks") + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             {SqlParam::of_text(row.id), SqlParam::of_text(row.host), SqlParam::of_text(row.queue_id),
              SqlParam::of_text(row.mailfrom), SqlParam::of_integer(row.date), SqlParam::of_text(row.headers),
              SqlParam::of_text(row.subgroups), SqlParam::of_text(row.named_subgroups), SqlParam::of_integer(row.size),
              SqlParam::of_integer(row.chunks)});
}

void QuarantineTables::insert_recipient(odbc::OdbcConnection& db, const std::string& id, std::int64_t position,
                                        const std::string& recipient) const {
  db.execute("INSERT INTO " + table(db, "_recipients") + " (" + quoted(db, "entry_id") + ", " +
                 quoted(db, "position") + ", " + quoted(db, "recipient") + ") VALUES (?, ?, ?)",
             {SqlParam::of_text(id), SqlParam::of_integer(position), SqlParam::of_text(recipient)});
}

void QuarantineTables::insert_chunk(odbc::OdbcConnection& db, const std::string& id, std::uint32_t seq,
                                    std::string_view data) const {
  db.execute("INSERT INTO " + table(db, "_chunks") + " (" + quoted(db, "entry_id") + ", " + quoted(db, "seq") + ", " +
                 quoted(db, "data") + ") VALUES (?, ?, ?)",
             {SqlParam::of_text(id), SqlParam::of_integer(seq), SqlParam::of_binary(data)});
}

void QuarantineTables::insert_whole_entry(odbc::OdbcConnection& db, const EntryRow& row,
                                          const std::vector<std::string>& recipients, std::string_view data) const {
  std::string recipient_rows;
  for (std::size_t i = 0; i < recipients.size(); ++i) recipient_rows += i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
  std::string sql = "WITH c AS (INSERT INTO " + table(db, "_chunks") + " (" + quoted(db, "entry_id") + ", " +
                    quoted(db, "seq") + ", " + quoted(db, "data") + ") VALUES (?, 0, ?))";
  std::vector<SqlParam> params{SqlParam::of_text(row.id), SqlParam::of_binary(data)};
  if (!recipients.empty()) {
    sql += ", r AS (INSERT INTO " + table(db, "_recipients") + " (" + quoted(db, "entry_id") + ", " +
           quoted(db, "position") + ", " + quoted(db, "recipient") + ") VALUES " + recipient_rows + ")";
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      params.push_back(SqlParam::of_text(row.id));
      params.push_back(SqlParam::of_integer(static_cast<std::int64_t>(i)));
      params.push_back(SqlParam::of_text(recipients[i]));
    }
  }
  sql += " INSERT INTO " + table(db, "_entries") + " (" + quoted(db, "id") + ", " + quoted(db, "host") + ", " +
         quoted(db, "queue_id") + ", " + quoted(db, "mailfrom") + ", " + quoted(db, "date") + ", " +
         quoted(db, "headers") + ", " + quoted(db, "subgroups") + ", " + quoted(db, "named_subgroups") + ", " +
         quoted(db, "size") + ", " + quoted(db, "chunks") + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  for (SqlParam param : {SqlParam::of_text(row.id), SqlParam::of_text(row.host), SqlParam::of_text(row.queue_id),
                         SqlParam::of_text(row.mailfrom), SqlParam::of_integer(row.date), SqlParam::of_text(row.headers),
                         SqlParam::of_text(row.subgroups), SqlParam::of_text(row.named_subgroups),
                         SqlParam::of_integer(row.size), SqlParam::of_integer(row.chunks)}) {
    params.push_back(std::move(param));
  }
  db.execute(sql, params);
}

std::vector<sdk::StoredEntry> QuarantineTables::entries(odbc::OdbcConnection& db, const EntryQuery& query) const {
  auto e = [&](const char* column) { return "e." + quoted(db, column); };
  auto r = [&](const char* column) { return "r." + quoted(db, column); };
  // One statement, so one consistent view: an entry comes with all of its recipients.
  std::string sql = "SELECT " + e("id") + ", " + e("mailfrom") + ", " + e("date") + ", " + e("queue_id") + ", " +
                    e("headers") + ", " + e("subgroups") + ", " + e("named_subgroups") + ", " + r("recipient") +
                    " FROM " + table(db, "_entries") + " e JOIN " + table(db, "_recipients") + " r ON " +
                    r("entry_id") + " = " + e("id") + " WHERE 1 = 1";
  std::vector<SqlParam> params;
  if (query.id) {
    sql += " AND " + e("id") + " = ?";
    params.push_back(SqlParam::of_text(*query.id));
  }
  if (!query.from.empty()) {
    sql += " AND " + e("mailfrom") + " IN (" + placeholders(query.from.size()) + ")";
    add_texts(params, query.from);
  }
  if (query.date_at_most) {
    sql += " AND " + e("date") + " <= ?";
    params.push_back(SqlParam::of_integer(*query.date_at_most));
  }
  if (!query.to.empty()) {
    sql += " AND " + e("id") + " IN (SELECT " + quoted(db, "entry_id") + " FROM " + table(db, "_recipients") +
           " WHERE " + quoted(db, "recipient") + " IN (" + placeholders(query.to.size()) + "))";
    add_texts(params, query.to);
  }
  sql += " ORDER BY " + e("id") + ", " + r("position");

  std::vector<sdk::StoredEntry> found;
  for (odbc::Row& row : db.execute(sql, params)) {
    if (row.size() != 8 || !row[0] || !row[7]) throw odbc::DatabaseError("an unexpected row from the quarantine tables");
    if (found.empty() || found.back().id != *row[0]) {
      sdk::StoredEntry& entry = found.emplace_back();
      entry.id = *row[0];
      entry.mailfrom = row[1].value_or("");
      entry.date = as_integer(row[2], "date");
      entry.queue_id = row[3].value_or("");
      if (sdk::Status read = read_entry_json(entry, row[4].value_or(""), row[5].value_or(""), row[6].value_or(""));
          !read.ok()) {
        throw odbc::DatabaseError(read.error().message);
      }
    }
    found.back().recipients.push_back(*row[7]);
  }
  return found;
}

std::optional<std::int64_t> QuarantineTables::chunk_count(odbc::OdbcConnection& db, const std::string& id) const {
  auto rows = db.execute("SELECT " + quoted(db, "chunks") + " FROM " + table(db, "_entries") + " WHERE " +
                             quoted(db, "id") + " = ?",
                         {SqlParam::of_text(id)});
  if (rows.empty() || rows.front().empty()) return std::nullopt;
  return as_integer(rows.front()[0], "chunk count");
}

bool QuarantineTables::read_chunk(odbc::OdbcConnection& db, const std::string& id, std::int64_t seq,
                                  const std::function<bool(std::string_view)>& visit) const {
  return db.read_binary("SELECT " + quoted(db, "data") + " FROM " + table(db, "_chunks") + " WHERE " +
                            quoted(db, "entry_id") + " = ? AND " + quoted(db, "seq") + " = ?",
                        {SqlParam::of_text(id), SqlParam::of_integer(seq)}, visit) != 0;
}

bool QuarantineTables::lock_entry(odbc::OdbcConnection& db, const std::string& id) const {
  const bool row_locks = db.family() == DbmsFamily::postgresql || db.family() == DbmsFamily::mysql;
  auto rows = db.execute("SELECT " + quoted(db, "id") + " FROM " + table(db, "_entries") + " WHERE " +
                             quoted(db, "id") + " = ?" + (row_locks ? " FOR UPDATE" : ""),
                         {SqlParam::of_text(id)});
  return !rows.empty();
}

bool QuarantineTables::claim_recipient(odbc::OdbcConnection& db, const std::string& id, const std::string& recipient,
                                       const std::string& token, std::int64_t now,
                                       std::int64_t expired_at_or_before) const {
  std::int64_t affected = 0;
  db.execute("UPDATE " + table(db, "_recipients") + " SET " + quoted(db, "claim") + " = ?, " +
                 quoted(db, "claimed_at") + " = ? WHERE " + quoted(db, "entry_id") + " = ? AND " +
                 quoted(db, "recipient") + " = ? AND (" + quoted(db, "claim") + " = '' OR " + quoted(db, "claim") +
                 " = ? OR " + quoted(db, "claimed_at") + " <= ?)",
             {SqlParam::of_text(token), SqlParam::of_integer(now), SqlParam::of_text(id), SqlParam::of_text(recipient),
              SqlParam::of_text(token), SqlParam::of_integer(expired_at_or_before)},
             &affected);
  return affected == 1;
}

std::optional<std::int64_t> QuarantineTables::claimed_at(odbc::OdbcConnection& db, const std::string& id,
                                                         const std::string& recipient) const {
  auto rows = db.execute("SELECT " + quoted(db, "claimed_at") + " FROM " + table(db, "_recipients") + " WHERE " +
                             quoted(db, "entry_id") + " = ? AND " + quoted(db, "recipient") + " = ?",
                         {SqlParam::of_text(id), SqlParam::of_text(recipient)});
  if (rows.empty() || rows.front().empty()) return std::nullopt;
  return as_integer(rows.front()[0], "claim time");
}

std::int64_t QuarantineTables::delete_claimed_recipient(odbc::OdbcConnection& db, const std::string& id,
                                                        const std::string& recipient, const std::string& token) const {
  std::int64_t affected = 0;
  db.execute("DELETE FROM " + table(db, "_recipients") + " WHERE " + quoted(db, "entry_id") + " = ? AND " +
                 quoted(db, "recipient") + " = ? AND " + quoted(db, "claim") + " = ?",
             {SqlParam::of_text(id), SqlParam::of_text(recipient), SqlParam::of_text(token)}, &affected);
  return affected;
}

std::int64_t QuarantineTables::clear_claim(odbc::OdbcConnection& db, const std::string& id,
                                           const std::string& recipient, const std::string& token) const {
  std::int64_t affected = 0;
  db.execute("UPDATE " + table(db, "_recipients") + " SET " + quoted(db, "claim") + " = '', " +
                 quoted(db, "claimed_at") + " = 0 WHERE " + quoted(db, "entry_id") + " = ? AND " +
                 quoted(db, "recipient") + " = ? AND " + quoted(db, "claim") + " = ?",
             {SqlParam::of_text(id), SqlParam::of_text(recipient), SqlParam::of_text(token)}, &affected);
  return affected;
}

std::int64_t QuarantineTables::delete_recipient(odbc::OdbcConnection& db, const std::string& id,
                                                const std::string& recipient) const {
  std::int64_t affected = 0;
  db.execute("DELETE FROM " + table(db, "_recipients") + " WHERE " + quoted(db, "entry_id") + " = ? AND " +
                 quoted(db, "recipient") + " = ?",
             {SqlParam::of_text(id), SqlParam::of_text(recipient)}, &affected);
  return affected;
}

std::int64_t QuarantineTables::recipient_count(odbc::OdbcConnection& db, const std::string& id) const {
  auto rows = db.execute("SELECT COUNT(*) FROM " + table(db, "_recipients") + " WHERE " + quoted(db, "entry_id") +
                             " = ?",
                         {SqlParam::of_text(id)});
  return rows.empty() || rows.front().empty() ? 0 : as_integer(rows.front()[0], "recipient count");
}

std::int64_t QuarantineTables::delete_entry(odbc::OdbcConnection& db, const std::string& id) const {
  std::int64_t affected = 0;
  db.execute("DELETE FROM " + table(db, "_entries") + " WHERE " + quoted(db, "id") + " = ?", {SqlParam::of_text(id)},
             &affected);
  db.execute("DELETE FROM " + table(db, "_recipients") + " WHERE " + quoted(db, "entry_id") + " = ?",
             {SqlParam::of_text(id)});
  db.execute("DELETE FROM " + table(db, "_chunks") + " WHERE " + quoted(db, "entry_id") + " = ?",
             {SqlParam::of_text(id)});
  return affected;
}

std::optional<sdk::Note> QuarantineTables::note(odbc::OdbcConnection& db, const std::string& key) const {
  auto rows = db.execute("SELECT " + quoted(db, "version") + ", " + quoted(db, "value") + " FROM " +
                             table(db, "_notes") + " WHERE " + quoted(db, "note_key") + " = ?",
                         {SqlParam::of_text(key)});
  if (rows.empty()) return std::nullopt;
  if (rows.front().size() != 2) throw odbc::DatabaseError("an unexpected row from the notes table");
  return sdk::Note{rows.front()[1].value_or(""), as_integer(rows.front()[0], "note version")};
}

bool QuarantineTables::insert_note(odbc::OdbcConnection& db, const std::string& key, const std::string& value) const {
  // Each server's insert that does nothing on a duplicate key (and only then: every column
  // is given and fits).
  std::string verb = "INSERT";
  std::string tail;
  if (db.family() == DbmsFamily::mysql) {
    verb = "INSERT IGNORE";
  } else if (db.family() == DbmsFamily::sqlite) {
    verb = "INSERT OR IGNORE";
  } else {
    tail = " ON CONFLICT (" + quoted(db, "note_key") + ") DO NOTHING";
  }
  std::int64_t affected = 0;
  db.execute(verb + " INTO " + table(db, "_notes") + " (" + quoted(db, "note_key") + ", " + quoted(db, "version") +
                 ", " + quoted(db, "value") + ") VALUES (?, 1, ?)" + tail,
             {SqlParam::of_text(key), SqlParam::of_text(value)}, &affected);
  return affected == 1;
}

bool QuarantineTables::update_note(odbc::OdbcConnection& db, const std::string& key, std::int64_t expected,
                                   const std::string& value) const {
  std::int64_t affected = 0;
  db.execute("UPDATE " + table(db, "_notes") + " SET " + quoted(db, "version") + " = ?, " + quoted(db, "value") +
                 " = ? WHERE " + quoted(db, "note_key") + " = ? AND " + quoted(db, "version") + " = ?",
             {SqlParam::of_integer(expected + 1), SqlParam::of_text(value), SqlParam::of_text(key),
              SqlParam::of_integer(expected)},
             &affected);
  return affected == 1;
}

}  // namespace qmilter::quarantine_db
