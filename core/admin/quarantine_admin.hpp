// What qmilterctl and qmilter-web both do to a quarantine: look an entry up by an id that is
// checked first, release it to one recipient, take a recipient off. One implementation, so
// a release from the web page is exactly a release from the command line, and each release
// claims its recipient in the store first, so that of admins releasing one recipient at once
// (any hosts, any tools) exactly one sends. Works on the quarantine's plugins only; blocking;
// safe from several threads when the store is.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/store.hpp"

namespace qmilter::admin {

// How long one release may take before the SMTP relay counts as unreachable.
inline constexpr std::chrono::seconds release_timeout{60};

// The entry `id` of this quarantine. The id is checked against the quarantine id rule before
// any store call (a store never sees ../etc/passwd); an Error names the quarantine and keeps
// the store's kind (not_found for an unknown id).
sdk::Result<sdk::StoredEntry> load_entry(const core::Quarantine& quarantine, const std::string& id);

// Takes `recipient` off entry `id`, whose recipients the caller still believes are `left`.
// For the last one the entry is removed outright: an entry never stays with no recipients,
// even with a store whose remove_recipient() would keep it.
sdk::Status take_recipient(const core::Quarantine& quarantine, const std::string& id, const std::string& recipient,
                           std::vector<std::string>& left);

// How a release to one recipient ended.
struct ReleaseOutcome {
  sdk::Status claimed;     // claiming the recipient; not_found when it is gone or another admin releases it
  bool delivered = false;  // the relay accepted the message
  std::string relay;       // "host:port", for messages
  std::string reply;       // the relay's reply or the connection error
  sdk::Status removed;     // taking the recipient off, after delivery
  sdk::Status abandoned;   // giving the claim back after a failed delivery (if that fails the
                           // recipient waits sdk::claim_lifetime_seconds, nothing is lost)
};

// Claims `recipient` on `entry` in the store, then sends the stored message to that recipient
// only (one SMTP transaction through the quarantine's relay, envelope sender as received) and,
// once the relay has accepted it, finishes the claim, which takes the recipient off. Nothing
// is sent without the claim; a failed delivery gives the claim back and leaves the entry as
// it was. A store plugin built before SDK 2.2 gets the SDK's default claims (this process only).
ReleaseOutcome release_to(const core::Quarantine& quarantine, const sdk::StoredEntry& entry,
                          const std::string& recipient, std::vector<std::string>& left);

}  // namespace qmilter::admin
