// The log sink: one write(2) per line on stderr so lines of concurrent threads never
// interleave, and syslog(3), which is thread-safe, when the daemon asked for it.
#include "core/log/log_sink.hpp"

#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace qmilter::core::log {
namespace {

std::atomic<bool> debug_on{false};
std::atomic<bool> syslog_on{false};

int syslog_priority(sdk::LogLevel level) {
  switch (level) {
    case sdk::LogLevel::debug: return LOG_DEBUG;
    case sdk::LogLevel::info: return LOG_INFO;
    case sdk::LogLevel::warning: return LOG_WARNING;
    case sdk::LogLevel::error: return LOG_ERR;
  }
  return LOG_INFO;
}

const char* level_name(sdk::LogLevel level) {
  switch (level) {
    case sdk::LogLevel::debug: return "debug";
    case sdk::LogLevel::info: return "info";
    case sdk::LogLevel::warning: return "warning";
    case sdk::LogLevel::error: return "error";
  }
  return "info";
}

}  // namespace

void configure(const Settings& settings) {
  debug_on = settings.debug;
  if (settings.syslog && !syslog_on) {
    static std::string ident;  // openlog keeps the pointer
    ident = std::string(settings.ident);
    openlog(ident.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
  }
  syslog_on = settings.syslog;
}

bool debug_enabled() noexcept { return debug_on; }

void write(sdk::LogLevel level, std::string_view queue_id, std::string_view text) noexcept {
  if (level == sdk::LogLevel::debug && !debug_on) return;
  try {
    std::string line;
    line.reserve(queue_id.size() + text.size() + 16);
    if (!queue_id.empty()) line.append(queue_id).append(": ");
    line.append(text);
    if (syslog_on) syslog(syslog_priority(level), "%s", line.c_str());
    std::string out = std::string(level_name(level)) + ": " + line + "\n";
    ssize_t ignored = ::write(STDERR_FILENO, out.data(), out.size());
    (void)ignored;
  } catch (...) {
    // Out of memory while logging: nothing sensible left to do.
  }
}

}  // namespace qmilter::core::log
