// quarantine_type = db: quarantined mail in SQL tables reached through ODBC (PostgreSQL,
// MariaDB, or SQLite for one host), so every MX host that names the same database shares one
// quarantine: any host's qmilterctl lists, reads, releases and deletes what another stored.
// store() commits before it returns, all or nothing (one transaction; on PostgreSQL a message
// of one chunk is a single statement); the message goes in and comes out in 1 MiB chunks, so
// memory stays flat for large mail. remove_recipient() is a conditional
// delete under a row lock: of two concurrent removals of one recipient exactly one succeeds.
// A release claim is the recipient row's claim token, set by one conditional UPDATE (the
// database orders concurrent claims from every host on that row) and checked again by the
// conditional DELETE or UPDATE that finishes or abandons it. Notes are rows of P_notes,
// replaced by a conditional UPDATE on the version (or an INSERT that does nothing when the
// key is there), so the database orders concurrent replacements from every host.
// One instance per quarantine section; immutable after create() apart from the connection
// pool it shares, so every method may run concurrently.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "connection_pool.hpp"
#include "qmilter/sdk/sdk.hpp"
#include "quarantine_tables.hpp"

namespace qmilter::quarantine_db {

class DbStore final : public sdk::QuarantineStore {
 public:
  static std::vector<sdk::OptionSpec> option_schema();
  static sdk::Result<std::unique_ptr<DbStore>> create(const sdk::Options& options, const sdk::PluginContext& context);

  DbStore(std::shared_ptr<odbc::ConnectionPool> pool, QuarantineTables tables, std::string host,
          std::string redacted_connection);

  bool keeps_messages() const override { return true; }
  sdk::Result<std::string> store(const sdk::MessageView& message, const std::vector<std::string>& recipients,
                                 const sdk::Match& match) override;

  sdk::Result<std::vector<sdk::StoredEntry>> find(const sdk::EntryFilter& filter) const override;
  sdk::Result<sdk::StoredEntry> entry(const std::string& id) const override;
  sdk::Status read(const std::string& id, const sdk::ChunkVisitor& visit) const override;
  sdk::Status remove_recipient(const std::string& id, const std::string& recipient) override;
  sdk::Status remove(const std::string& id) override;
  sdk::Result<sdk::RecipientClaim> claim_recipient(const std::string& id, const std::string& recipient,
                                                   std::int64_t now) override;
  sdk::Status finish_claim(const sdk::RecipientClaim& claim) override;
  sdk::Status abandon_claim(const sdk::RecipientClaim& claim) override;
  bool keeps_notes() const override { return true; }
  sdk::Result<std::optional<sdk::Note>> read_note(const std::string& key) const override;
  sdk::Result<std::optional<std::int64_t>> replace_note(const std::string& key, std::optional<std::int64_t> expected,
                                                        const std::string& value) override;

  const QuarantineTables& tables() const noexcept { return tables_; }

 private:
  // Creates the tables on first use when create() could not reach the database.
  void ensure_tables(odbc::OdbcConnection& db) const;
  sdk::Error failure(const std::string& what, const std::exception& e) const;
  sdk::Error unknown(const std::string& id) const;
  // Why a claim found nothing to claim (all not_found): no entry, no such recipient, or
  // another admin's live claim.
  sdk::Error not_claimable(odbc::OdbcConnection& db, const std::string& id, const std::string& recipient) const;

  std::shared_ptr<odbc::ConnectionPool> pool_;
  const QuarantineTables tables_;
  const std::string host_;                 // written with each entry: which host took the message
  const std::string redacted_connection_;  // the only form of the connection string that is logged
  mutable std::atomic<bool> tables_ready_{false};
};

}  // namespace qmilter::quarantine_db
