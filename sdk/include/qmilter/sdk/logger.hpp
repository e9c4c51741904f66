// The logger a plugin writes to. The host prefixes every line with the queue id (when one is
// given), the quarantine and the plugin, and sends it to syslog (facility mail) and stderr.
// Thread-safe; never throws.
#pragma once

#include <string_view>

namespace qmilter::sdk {

enum class LogLevel { debug, info, warning, error };

class Logger {
 public:
  virtual ~Logger() = default;
  // queue_id may be empty for lines that concern no message (start-up, background work).
  virtual void log(LogLevel level, std::string_view queue_id, std::string_view text) noexcept = 0;

  void debug(std::string_view queue_id, std::string_view text) noexcept { log(LogLevel::debug, queue_id, text); }
  void info(std::string_view queue_id, std::string_view text) noexcept { log(LogLevel::info, queue_id, text); }
  void warning(std::string_view queue_id, std::string_view text) noexcept { log(LogLevel::warning, queue_id, text); }
  void error(std::string_view queue_id, std::string_view text) noexcept { log(LogLevel::error, queue_id, text); }
};

}  // namespace qmilter::sdk
