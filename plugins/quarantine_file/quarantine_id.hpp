// Quarantine ids of the FILE store: how they are made (SPEC §4: `YYYYmmddHHMMSS_<queueid>`,
// local time) and which strings an admin may hand back as an id (a plain entry name inside
// the directory, nothing that could reach another file). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qmilter::quarantine_file {

inline constexpr std::string_view metadata_suffix = ".metadata";

// `YYYYmmddHHMMSS_<queueid>` for this Unix time in local time. Characters of the queue id
// other than letters, digits, '-' and '_' become '_' so the id is always a plain file name.
std::string make_id(std::int64_t unix_time, std::string_view queue_id);

// The id to try after `attempt` collisions: the id itself, then `<id>_2`, `<id>_3`, ...
std::string id_candidate(const std::string& id, unsigned attempt);

// Why `id` is not acceptable as an entry name, or nullopt when it is.
std::optional<std::string> id_problem(std::string_view id);

// Whether a directory entry's name is a temporary file of an unfinished write.
bool is_temporary_name(std::string_view name);

}  // namespace qmilter::quarantine_file
