// An in-memory QuarantineStore for the tests of the SDK's store conformance suite: correct
// with Defect::none, and with each other Defect breaking one rule of store.hpp, so the
// tests can show the suite accepts a right store and catches each wrong one.
// Thread-safe (one mutex); lives as long as the test that made it.
#pragma once

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "qmilter/sdk/store.hpp"

namespace qmilter::sdk::testing {

enum class Defect {
  none,
  ignores_filters,      // find() lists every entry
  keeps_empty_entries,  // removing the last recipient leaves the entry
  reuses_ids,           // the id is the queue id: a second message replaces the first
  drops_recipients,     // find() lists entries without their recipients
  crlf_headers,         // read() ends header lines with CRLF instead of LF
  claims_race,          // claim_recipient() reads the entry and grants every claim (read, then write)
  notes_race,           // replace_note() writes whatever version it expected (read, then write)
};

class MemoryStore final : public QuarantineStore {
 public:
  explicit MemoryStore(Defect defect) : defect_(defect) {}

  bool keeps_messages() const override { return true; }

  Result<std::string> store(const MessageView& message, const std::vector<std::string>& recipients,
                            const Match& match) override {
    std::lock_guard lock(mutex_);
    std::string id(message.queue_id());
    if (defect_ != Defect::reuses_ids) id += "_" + std::to_string(++stored_);
    Kept& kept = entries_[id];
    kept.entry = StoredEntry{};
    kept.entry.id = id;
    kept.entry.mailfrom = std::string(message.sender());
    kept.entry.recipients = recipients;
    kept.entry.date = static_cast<std::int64_t>(std::time(nullptr));
    kept.entry.queue_id = std::string(message.queue_id());
    kept.entry.subgroups = match.groups;
    kept.entry.named_subgroups = match.named;
    kept.data.clear();
    for (const Header& header : message.headers()) {
      std::string name;
      for (char c : header.name) name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      kept.entry.headers[name] = header.value;
      kept.data += header.name + ": " + header.value + line_end();
    }
    kept.data += line_end();
    Status read = message.read_body([&](std::string_view chunk) {
      kept.data += chunk;
      return true;
    });
    if (!read.ok()) return read.error();
    return id;
  }

  Result<std::vector<StoredEntry>> find(const EntryFilter& filter) const override {
    std::lock_guard lock(mutex_);
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    std::vector<StoredEntry> found;
    for (const auto& [id, kept] : entries_) {
      if (defect_ != Defect::ignores_filters && !entry_matches(filter, kept.entry, now)) continue;
      found.push_back(kept.entry);
      if (defect_ == Defect::drops_recipients) found.back().recipients.clear();
    }
    return found;
  }

  Result<StoredEntry> entry(const std::string& id) const override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return unknown(id);
    return it->second.entry;
  }

  Status read(const std::string& id, const ChunkVisitor& visit) const override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return unknown(id);
    visit(it->second.data);
    return {};
  }

  Status remove_recipient(const std::string& id, const std::string& recipient) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return unknown(id);
    std::vector<std::string>& recipients = it->second.entry.recipients;
    if (std::erase(recipients, recipient) == 0) return Error{"'" + recipient + "' is not a recipient of '" + id + "'", ErrorKind::not_found};
    if (recipients.empty() && defect_ != Defect::keeps_empty_entries) entries_.erase(it);
    return {};
  }

  Status remove(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (entries_.erase(id) == 0) return unknown(id);
    return {};
  }

  // Without the defect, the SDK's default claims: what a store gets that keeps none.
  Result<RecipientClaim> claim_recipient(const std::string& id, const std::string& recipient,
                                         std::int64_t now) override {
    if (defect_ != Defect::claims_race) return QuarantineStore::claim_recipient(id, recipient, now);
    auto held = entry(id);
    if (!held.ok()) return held.error();
    if (std::find(held.value().recipients.begin(), held.value().recipients.end(), recipient) ==
        held.value().recipients.end()) {
      return Error{"'" + recipient + "' is not a recipient of '" + id + "'", ErrorKind::not_found};
    }
    return RecipientClaim{id, recipient, "any", now};
  }
  Status finish_claim(const RecipientClaim& claim) override {
    if (defect_ != Defect::claims_race) return QuarantineStore::finish_claim(claim);
    return remove_recipient(claim.id, claim.recipient);
  }
  Status abandon_claim(const RecipientClaim& claim) override {
    if (defect_ != Defect::claims_race) return QuarantineStore::abandon_claim(claim);
    return {};
  }

  bool keeps_notes() const override { return true; }
  Result<std::optional<Note>> read_note(const std::string& key) const override {
    std::lock_guard lock(mutex_);
    auto it = notes_.find(key);
    if (it == notes_.end()) return std::optional<Note>{};
    return std::optional<Note>{it->second};
  }
  Result<std::optional<std::int64_t>> replace_note(const std::string& key, std::optional<std::int64_t> expected,
                                                   const std::string& value) override {
    std::lock_guard lock(mutex_);
    auto it = notes_.find(key);
    const std::optional<std::int64_t> current =
        it == notes_.end() ? std::nullopt : std::optional<std::int64_t>{it->second.version};
    if (current != expected && defect_ != Defect::notes_race) return std::optional<std::int64_t>{};
    notes_[key] = Note{value, ++note_versions_};
    return std::optional<std::int64_t>{note_versions_};
  }

  // Moves an entry's date back, for the age tests.
  void backdate(const std::string& id, std::int64_t seconds) {
    std::lock_guard lock(mutex_);
    entries_.at(id).entry.date -= seconds;
  }

 private:
  struct Kept {
    StoredEntry entry;
    std::string data;  // headers, empty line, body
  };

  std::string line_end() const { return defect_ == Defect::crlf_headers ? "\r\n" : "\n"; }
  static Error unknown(const std::string& id) { return Error{"no quarantine entry '" + id + "'", ErrorKind::not_found}; }

  const Defect defect_;
  mutable std::mutex mutex_;
  std::map<std::string, Kept> entries_;
  std::map<std::string, Note> notes_;
  std::int64_t note_versions_ = 0;  // one counter for all notes: a version never comes back
  unsigned long stored_ = 0;
};

template <Defect defect>
struct MemoryStoreFactory {
  std::unique_ptr<QuarantineStore> make() { return std::make_unique<MemoryStore>(defect); }
  void backdate(QuarantineStore& store, const std::string& id, std::int64_t seconds) {
    static_cast<MemoryStore&>(store).backdate(id, seconds);
  }
};

}  // namespace qmilter::sdk::testing
