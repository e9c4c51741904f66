// quarantine_type = file: keeps each quarantined message as two files in
// `quarantine_directory`: `<id>` (headers, empty line, body as received) and
// `<id>.metadata` (JSON), the layout pyquarantine-milter and its tools use. One instance per
// quarantine section, immutable after create(); store() runs concurrently on many threads
// (it only ever creates new names), the admin side serialises its rewrites with a lock on
// the directory so that two qmilterctl runs cannot lose each other's changes. A release
// claim is recorded in the metadata by such a rewrite, so processes on this host (which
// share the lock) claim a recipient one at a time and only the first finds it unclaimed.
// Notes are files in `.notes/` below the directory (note_files.hpp).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "directory_sync.hpp"
#include "note_files.hpp"
#include "qmilter/sdk/sdk.hpp"
#include "unique_fd.hpp"

namespace qmilter::quarantine_file {

class FileStore final : public sdk::QuarantineStore {
 public:
  static std::vector<sdk::OptionSpec> option_schema();
  static sdk::Result<std::unique_ptr<FileStore>> create(const sdk::Options& options, const sdk::PluginContext& context);

  FileStore(std::string directory, UniqueFd directory_fd, mode_t mode, sdk::Logger* logger);

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

 private:
  // The metadata text of entry `id`, after checking that `id` is a plain entry name.
  sdk::Error unknown_id(const std::string& id) const;  // ErrorKind::not_found
  sdk::Result<std::string> metadata_text(const std::string& id) const;
  sdk::Status remove_unlocked(const std::string& id);
  sdk::Status write_metadata(const std::string& id, const std::string& text);
  // With the directory locked: the metadata of the entry `claim` is on, when it still
  // records exactly that claim; else the lost-claim Error.
  sdk::Result<std::string> metadata_of_claim(const sdk::RecipientClaim& claim) const;
  void sweep_temporary_files() const;

  std::string directory_;
  UniqueFd directory_fd_;  // every file operation is relative to it (openat and friends)
  std::unique_ptr<DirectorySync> directory_sync_;  // store()'s shared directory fsync
  mode_t mode_;
  NoteFiles notes_;
  sdk::Logger* logger_;
};

}  // namespace qmilter::quarantine_file
