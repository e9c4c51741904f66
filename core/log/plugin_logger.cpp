#include "core/log/plugin_logger.hpp"

#include "core/log/log_sink.hpp"

namespace qmilter::core {

void PluginLogger::log(sdk::LogLevel level, std::string_view queue_id, std::string_view text) noexcept {
  try {
    std::string line = prefix_;
    line.append(": ").append(text);
    log::write(level, queue_id, line);
  } catch (...) {
  }
}

}  // namespace qmilter::core
