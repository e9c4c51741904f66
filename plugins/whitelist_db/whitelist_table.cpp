// Statements on the whitelist table (see the header). Placeholders are generated for list
// lengths only; values always travel as bound parameters.
#include "whitelist_table.hpp"

#include <algorithm>

#include "entry_address.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::whitelist_db {
namespace {

std::string placeholders(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "?" : ",?";
  return out;
}

void add_texts(std::vector<odbc::SqlParam>& params, const std::vector<std::string>& values) {
  for (const std::string& value : values) params.push_back(odbc::SqlParam::of_text(value));
}

std::int64_t to_id(const std::optional<std::string>& value) {
  if (!value) throw odbc::DatabaseError("the table holds an entry without id");
  try {
    return std::stoll(*value);
  } catch (const std::exception&) {
    throw odbc::DatabaseError("the table holds a non-numeric id '" + *value + "'");
  }
}

void pad_to_power_of_two(std::vector<std::string>& values) {
  if (values.empty()) return;
  std::size_t size = 1;
  while (size < values.size()) size *= 2;
  values.resize(size, values.back());
}

// Ids to delete or touch go in chunks so no statement grows past drivers' parameter limits.
constexpr std::size_t max_ids_per_statement = 500;

}  // namespace

bool stored_true(const std::optional<std::string>& value) {
  if (!value) return false;
  std::string lowered = sdk::ascii_lower(*value);
  return lowered == "1" || lowered == "t" || lowered == "true" || lowered == "y" || lowered == "yes";
}

WhitelistTable::WhitelistTable(std::string table, const std::string& quarantine)
    : table_(std::move(table)), index_("whitelistmodel_" + sdk::ascii_lower(quarantine) + "_mailfrom_recipient") {
  // PostgreSQL truncates identifiers at 63 bytes, MariaDB refuses more than 64.
  if (index_.size() > 63) index_.resize(63);
}

bool WhitelistTable::valid_table_name(const std::string& table) {
  if (table.empty() || table.size() > 63) return false;
  if (!((table[0] >= 'a' && table[0] <= 'z') || (table[0] >= 'A' && table[0] <= 'Z') || table[0] == '_')) return false;
  return std::all_of(table.begin(), table.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string WhitelistTable::quoted(const odbc::OdbcConnection& db, const std::string& identifier) const {
  // Identifiers are checked to hold no quote characters, so no escaping is needed.
  if (db.family() == odbc::DbmsFamily::mysql) return "`" + identifier + "`";
  return "\"" + identifier + "\"";
}

std::string WhitelistTable::select_columns(const odbc::OdbcConnection& db, const char* const* columns, std::size_t count) const {
  std::string out = "SELECT ";
  for (std::size_t i = 0; i < count; ++i) out += (i == 0 ? "" : ", ") + quoted(db, columns[i]);
  return out + " FROM " + quoted(db, table_);
}

void WhitelistTable::ensure(odbc::OdbcConnection& db) const {
  std::string t = quoted(db, table_);
  // Asking the table itself finds exactly the one the statements will use (catalog listings
  // also report same-named tables of other schemas or databases). When this fails for another
  // reason than a missing table, the CREATE below fails too and says why.
  try {
    db.execute("SELECT " + quoted(db, "id") + " FROM " + t + " WHERE 1 = 0");
    return;
  } catch (const odbc::DatabaseBusy&) {
    throw;  // a locked file: CREATE would wait as long again, and fail the same way
  } catch (const odbc::DatabaseError&) {
  }
  auto q = [&](const char* column) { return quoted(db, column); };
  std::string create;
  switch (db.family()) {
    case odbc::DbmsFamily::postgresql:
      create = "CREATE TABLE IF NOT EXISTS " + t + " (" + q("id") + " SERIAL NOT NULL PRIMARY KEY, " + q("mailfrom") +
               " VARCHAR(255) NOT NULL, " + q("recipient") + " VARCHAR(255) NOT NULL, " + q("created") +
               " TIMESTAMP NOT NULL, " + q("last_used") + " TIMESTAMP NOT NULL, " + q("comment") + " TEXT NOT NULL, " +
               q("permanent") + " BOOLEAN NOT NULL)";
      break;
    case odbc::DbmsFamily::mysql:
      create = "CREATE TABLE IF NOT EXISTS " + t + " (" + q("id") + " INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, " +
               q("mailfrom") + " VARCHAR(255) NOT NULL, " + q("recipient") + " VARCHAR(255) NOT NULL, " + q("created") +
               " DATETIME(6) NOT NULL, " + q("last_used") + " DATETIME(6) NOT NULL, " + q("comment") + " TEXT NOT NULL, " +
               q("permanent") + " BOOL NOT NULL) DEFAULT CHARSET=utf8mb4";  // the server default may be latin1
      break;
    default:
      // SQLite: byte for byte what pyquarantine's Python ORM created.
      create = "CREATE TABLE IF NOT EXISTS " + t + " (" + q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("mailfrom") +
               " VARCHAR(255) NOT NULL, " + q("recipient") + " VARCHAR(255) NOT NULL, " + q("created") +
               " DATETIME NOT NULL, " + q("last_used") + " DATETIME NOT NULL, " + q("comment") + " TEXT NOT NULL, " +
               q("permanent") + " INTEGER NOT NULL)";
      break;
  }
  db.execute(create);
  db.execute("CREATE UNIQUE INDEX IF NOT EXISTS " + quoted(db, index_) + " ON " + t + " (" + q("mailfrom") + ", " +
             q("recipient") + ")");
}

std::vector<CandidateRow> WhitelistTable::candidates(odbc::OdbcConnection& db, std::vector<std::string> mailfroms,
                                                     std::vector<std::string> recipients) const {
  static const char* const columns[] = {"id", "mailfrom", "recipient", "last_used", "permanent"};
  // Shared lookups (LookupBatcher) make lists of every length, and each length pair is a
  // statement of its own in the connection's cache: repeating the last value up to a power
  // of two keeps that to a few shapes, and `IN` does not care.
  pad_to_power_of_two(mailfroms);
  pad_to_power_of_two(recipients);
  std::string sql = select_columns(db, columns, std::size(columns)) + " WHERE " + quoted(db, "mailfrom") + " IN (" +
                    placeholders(mailfroms.size()) + ") AND " + quoted(db, "recipient") + " IN (" +
                    placeholders(recipients.size()) + ")";
  std::vector<odbc::SqlParam> params;
  add_texts(params, mailfroms);
  add_texts(params, recipients);
  std::vector<CandidateRow> out;
  for (odbc::Row& row : db.execute(sql, params)) {
    out.push_back(CandidateRow{to_id(row[0]), row[1].value_or(""), row[2].value_or(""), row[3].value_or(""),
                               stored_true(row[4])});
  }
  // Sorted here rather than by ORDER BY: the rows are a handful, and SQLite would build a
  // temporary b-tree for every lookup to sort them.
  std::sort(out.begin(), out.end(), [](const CandidateRow& a, const CandidateRow& b) { return a.id < b.id; });
  return out;
}

void WhitelistTable::touch(odbc::OdbcConnection& db, const std::vector<std::int64_t>& ids, const std::string& now) const {
  for (std::size_t start = 0; start < ids.size(); start += max_ids_per_statement) {
    std::size_t count = std::min(max_ids_per_statement, ids.size() - start);
    std::vector<odbc::SqlParam> params{odbc::SqlParam::of_timestamp(now)};
    for (std::size_t i = 0; i < count; ++i) params.push_back(odbc::SqlParam::of_integer(ids[start + i]));
    db.execute("UPDATE " + quoted(db, table_) + " SET " + quoted(db, "last_used") + " = ? WHERE " + quoted(db, "id") +
                   " IN (" + placeholders(count) + ")",
               params);
  }
}

std::vector<sdk::WhitelistEntry> WhitelistTable::entries(odbc::OdbcConnection& db, const std::vector<std::string>& mailfroms,
                                                         const std::vector<std::string>& recipients) const {
  static const char* const columns[] = {"id", "mailfrom", "recipient", "created", "last_used", "comment", "permanent"};
  std::string sql = select_columns(db, columns, std::size(columns));
  std::vector<odbc::SqlParam> params;
  std::string where;
  if (!mailfroms.empty()) {
    where += quoted(db, "mailfrom") + " IN (" + placeholders(mailfroms.size()) + ")";
    add_texts(params, mailfroms);
  }
  if (!recipients.empty()) {
    where += (where.empty() ? "" : " AND ") + quoted(db, "recipient") + " IN (" + placeholders(recipients.size()) + ")";
    add_texts(params, recipients);
  }
  if (!where.empty()) sql += " WHERE " + where;
  sql += " ORDER BY " + quoted(db, "id");
  std::vector<sdk::WhitelistEntry> out;
  for (odbc::Row& row : db.execute(sql, params)) {
    sdk::WhitelistEntry entry;
    entry.id = to_id(row[0]);
    entry.mailfrom = row[1].value_or("");
    entry.recipient = row[2].value_or("");
    entry.created = row[3].value_or("");
    entry.last_used = row[4].value_or("");
    entry.comment = row[5].value_or("");
    entry.permanent = stored_true(row[6]);
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<std::int64_t> WhitelistTable::find_id(odbc::OdbcConnection& db, const std::string& mailfrom,
                                                    const std::string& recipient) const {
  auto rows = db.execute("SELECT " + quoted(db, "id") + " FROM " + quoted(db, table_) + " WHERE " + quoted(db, "mailfrom") +
                             " = ? AND " + quoted(db, "recipient") + " = ?",
                         {odbc::SqlParam::of_text(mailfrom), odbc::SqlParam::of_text(recipient)});
  if (rows.empty()) return std::nullopt;
  return to_id(rows.front()[0]);
}

void WhitelistTable::insert(odbc::OdbcConnection& db, const sdk::WhitelistEntry& entry, const std::string& now) const {
  auto q = [&](const char* column) { return quoted(db, column); };
  db.execute("INSERT INTO " + quoted(db, table_) + " (" + q("mailfrom") + ", " + q("recipient") + ", " + q("created") +
                 ", " + q("last_used") + ", " + q("comment") + ", " + q("permanent") + ") VALUES (?, ?, ?, ?, ?, ?)",
             {odbc::SqlParam::of_text(entry.mailfrom), odbc::SqlParam::of_text(entry.recipient), odbc::SqlParam::of_timestamp(now),
              odbc::SqlParam::of_timestamp(now), odbc::SqlParam::of_text(entry.comment), odbc::SqlParam::of_boolean(entry.permanent)});
}

std::int64_t WhitelistTable::remove(odbc::OdbcConnection& db, const std::vector<std::int64_t>& ids) const {
  std::int64_t removed = 0;
  for (std::size_t start = 0; start < ids.size(); start += max_ids_per_statement) {
    std::size_t count = std::min(max_ids_per_statement, ids.size() - start);
    std::vector<odbc::SqlParam> params;
    for (std::size_t i = 0; i < count; ++i) params.push_back(odbc::SqlParam::of_integer(ids[start + i]));
    std::int64_t affected = 0;
    db.execute("DELETE FROM " + quoted(db, table_) + " WHERE " + quoted(db, "id") + " IN (" + placeholders(count) + ")",
               params, &affected);
    removed += affected;
  }
  return removed;
}

}  // namespace qmilter::whitelist_db
