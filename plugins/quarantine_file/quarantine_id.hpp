// Quarantine ids of the FILE store: how they are made (`YYYYmmddHHMMSS_<queueid>`,
// local time) and which strings an admin may hand back as an id (a plain entry name inside
// the directory, nothing that could reach another file). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qmilter/sdk/entry_id.hpp"

namespace qmilter::quarantine_file {

inline constexpr std::string_view metadata_suffix = ".metadata";

// The longest id, for the ids store() makes and those an admin may give alike: the SDK's
// limit, which leaves room for ".metadata" in a file name of at most 255 bytes (NAME_MAX).
inline constexpr std::size_t max_id_length = sdk::max_entry_id_length;
static_assert(max_id_length + metadata_suffix.size() <= 255);

// How many names store() tries for one message: `<id>`, `<id>_2`, ... `<id>_1000`.
inline constexpr unsigned max_id_attempts = 1000;

// `YYYYmmddHHMMSS_<queueid>` for this Unix time in local time. Characters of the queue id
// other than letters, digits, '-' and '_' become '_' so the id is always a plain file name.
// A queue id too long for max_id_length (with room for the collision suffix) keeps its
// start and ends in `_<16 hex digits>`, a hash of the whole queue id.
std::string make_id(std::int64_t unix_time, std::string_view queue_id);

// The id to try after `attempt` collisions: the id itself, then `<id>_2`, `<id>_3`, ...
// (attempt < max_id_attempts).
std::string id_candidate(const std::string& id, unsigned attempt);

// Why `id` is not acceptable as an entry name, or nullopt when it is: the SDK's id rule,
// and no ".metadata" suffix (that would name the other file of an entry).
std::optional<std::string> id_problem(std::string_view id);

}  // namespace qmilter::quarantine_file
