// Local-time datetime text (see the header).
#include "local_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace qmilter::whitelist_db {

std::string local_timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", local.tm_year + 1900, local.tm_mon + 1,
                local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, static_cast<long long>(micros % 1000000));
  return text;
}

std::optional<std::int64_t> parse_local_timestamp(std::string_view text) {
  std::string copy(text.substr(0, 19));
  std::tm local{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  // 'T' as separator too: some tools write ISO 8601.
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2d%*[ T]%2d:%2d:%2d", &year, &month, &day, &hour, &minute, &second) != 6) {
    return std::nullopt;
  }
  local.tm_year = year - 1900;
  local.tm_mon = month - 1;
  local.tm_mday = day;
  local.tm_hour = hour;
  local.tm_min = minute;
  local.tm_sec = second;
  local.tm_isdst = -1;
  std::time_t result = std::mktime(&local);
  if (result == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(result);
}

}  // namespace qmilter::whitelist_db
