// Datetimes as the Python ORM stored them: local-time text "YYYY-MM-DD HH:MM:SS.ffffff"
// (the fraction missing when it was zero; PostgreSQL and MariaDB trim it their own way).
// Pure functions; localtime_r/mktime are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qmilter::whitelist_db {

// Now, local time, with microseconds.
std::string local_timestamp_now();

// Unix time of a stored datetime, read as local time; nullopt when it is not one.
std::optional<std::int64_t> parse_local_timestamp(std::string_view text);

}  // namespace qmilter::whitelist_db
