// The `.metadata` file of a FILE quarantine entry, compatible with what
// pyquarantine-milter wrote: json.dump(..., indent=2) of exactly the keys mailfrom,
// recipients, headers, date, queue_id, subgroups, named_subgroups, in that order, non-ASCII
// escaped as \uXXXX. Keys this version does not know are kept when an entry is rewritten.
// A release in progress adds "release_claims": {recipient: {"token": T, "since": UNIX}},
// which pyquarantine's tools keep and ignore like any other key.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/store.hpp"

namespace qmilter::quarantine_file {

// The metadata document for a message stored for `recipients` at Unix time `date`.
std::string metadata_json(const sdk::MessageView& message, const std::vector<std::string>& recipients,
                          const sdk::Match& match, std::int64_t date);

// Reads a metadata document; errors name the id and what is wrong with the document.
sdk::Result<sdk::StoredEntry> parse_metadata(const std::string& id, std::string_view text);

// A release claim as the document records it.
struct RecordedClaim {
  std::string token;
  std::int64_t since = 0;
};

// The claim recorded for `recipient`, if any.
sdk::Result<std::optional<RecordedClaim>> recorded_claim(const std::string& id, std::string_view text,
                                                         const std::string& recipient);

// The same document with `recipient`'s claim set to `claim`, or removed when there is none.
sdk::Result<std::string> metadata_with_claim(const std::string& id, std::string_view text, const std::string& recipient,
                                             const std::optional<RecordedClaim>& claim);

// The same document without `recipient` in its recipients list, nor its claim (every other
// key, known or not, kept as it was). The caller has checked that the recipient is listed.
sdk::Result<std::string> metadata_without_recipient(const std::string& id, std::string_view text,
                                                    const std::string& recipient);

}  // namespace qmilter::quarantine_file
