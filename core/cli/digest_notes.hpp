// The digest state a quarantine store keeps in its notes, so that every host sharing the
// store (a db store on PostgreSQL or MariaDB) sees one state. Per recipient the note
// "digest/<recipient>" lists the entries a digest reported to them ("sent <id>" lines) and,
// while a run sends their digest, that run's claim ("claim <token> <since>"); the note
// "digest-ran" holds when the store's last digest run ended (Unix time).
//
// A run reads a recipient's note, takes the claim by compare-and-swap (a run that loses it,
// or finds a live claim, leaves the recipient to the run that has it), sends, and only after
// the relay accepted writes the reported entries and drops the claim, again by
// compare-and-swap. A run that dies leaves its claim; after claim_lifetime_seconds another
// run takes it over, so a crash never makes a recipient miss a digest and re-sends at most
// the one whose note was not written. Used by one thread; the store outlives it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "qmilter/sdk/store.hpp"

namespace qmilter::cli {

struct RecipientNote {
  std::optional<std::int64_t> version;  // none: no note yet
  std::string claim_token;              // "" when no run claims the recipient
  std::int64_t claimed_since = 0;
  std::set<std::string> sent;  // ids of entries a digest reported

  // Whether another run holds the recipient at `now` (a claim younger than its lifetime).
  bool claimed_at(std::int64_t now) const {
    return !claim_token.empty() && now - claimed_since < sdk::claim_lifetime_seconds;
  }
};

class DigestNotes {
 public:
  explicit DigestNotes(sdk::QuarantineStore& store) : store_(store) {}

  sdk::Result<RecipientNote> read(const std::string& recipient) const;
  // Claims the recipient for this run on the note as `read` gave it: the claimed note, or
  // nothing when another run changed it first.
  sdk::Result<std::optional<RecipientNote>> claim(const std::string& recipient, const RecipientNote& read,
                                                  std::int64_t now) const;
  // After the relay accepted: the note lists exactly `sent` (what the store still holds for
  // the recipient and was reported) and no claim. False when the claim was taken over.
  sdk::Result<bool> record(const std::string& recipient, const RecipientNote& claimed,
                           const std::set<std::string>& sent) const;
  // After a failed send or when nothing was to be sent: the claim goes, the rest stays.
  sdk::Result<bool> release(const std::string& recipient, const RecipientNote& claimed) const;

  // When the last run over this store ended; 0 if none did.
  sdk::Result<std::int64_t> last_run() const;
  // Makes the last run end at `now` unless another run's later end is there already.
  sdk::Status finish_run(std::int64_t now) const;

  // "digest/" and the recipient, bytes outside printable ASCII (and '%') as %XX.
  static std::string recipient_key(const std::string& recipient);

 private:
  sdk::Result<bool> write(const std::string& recipient, const RecipientNote& from, const RecipientNote& to) const;

  sdk::QuarantineStore& store_;
};

}  // namespace qmilter::cli
