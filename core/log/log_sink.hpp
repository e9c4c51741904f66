// Where every log line of the daemon and its plugins goes: syslog (facility mail) and
// stderr, each line about a message prefixed with its queue id. Thread-safe; never throws.
#pragma once

#include <string_view>

#include "qmilter/sdk/logger.hpp"

namespace qmilter::core::log {

struct Settings {
  bool debug = false;   // include debug lines
  bool syslog = false;  // also send to syslog (the daemon); the CLI and -t use stderr only
  std::string_view ident = "qmilter";
};

void configure(const Settings& settings);
bool debug_enabled() noexcept;
void write(sdk::LogLevel level, std::string_view queue_id, std::string_view text) noexcept;

inline void info(std::string_view queue_id, std::string_view text) noexcept { write(sdk::LogLevel::info, queue_id, text); }
inline void warning(std::string_view queue_id, std::string_view text) noexcept { write(sdk::LogLevel::warning, queue_id, text); }
inline void error(std::string_view queue_id, std::string_view text) noexcept { write(sdk::LogLevel::error, queue_id, text); }
inline void debug(std::string_view queue_id, std::string_view text) noexcept { write(sdk::LogLevel::debug, queue_id, text); }

}  // namespace qmilter::core::log
