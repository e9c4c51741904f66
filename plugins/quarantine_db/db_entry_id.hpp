// Ids of the db quarantine: `YYYYmmddHHMMSS_<queueid>_<16 hex digits>` (local time, as the
// file store's ids begin), so they sort and read by date, and unique across hosts without
// any configuration: the last part is 64 random bits, drawn per id. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qmilter::quarantine_db {

// The id for a message received at `unix_time` with `queue_id`. Characters of the queue id
// other than letters, digits, '-' and '_' become '_'; a queue id too long for the SDK's id
// length is cut (the random part keeps the id unique). Always passes sdk::entry_id_problem().
std::string make_entry_id(std::int64_t unix_time, std::string_view queue_id);

}  // namespace qmilter::quarantine_db
