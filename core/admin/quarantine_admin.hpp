// What qmilterctl and qmilter-web both do to a quarantine: look an entry up by an id that is
// checked first, release it to one recipient, take a recipient off. One implementation, so
// a release from the web page is exactly a release from the command line. Works on the
// quarantine's plugins only; blocking; safe from several threads when the store is.
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
  bool delivered = false;  // the relay accepted the message
  std::string relay;       // "host:port", for messages
  std::string reply;       // the relay's reply or the connection error
  sdk::Status removed;     // taking the recipient off, after delivery
};

// Sends the stored message of `entry` to `recipient` only (one SMTP transaction through the
// quarantine's relay, envelope sender as received) and, once the relay has accepted it,
// takes the recipient off the entry. A failed delivery leaves the entry as it was.
ReleaseOutcome release_to(const core::Quarantine& quarantine, const sdk::StoredEntry& entry,
                          const std::string& recipient, std::vector<std::string>& left);

}  // namespace qmilter::admin
