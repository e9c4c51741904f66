// The sdk::Logger handed to one plugin instance: prefixes its lines with the quarantine and
// the plugin ("spam/file: ...") and forwards them to the log sink. Thread-safe.
#pragma once

#include <string>

#include "qmilter/sdk/logger.hpp"

namespace qmilter::core {

class PluginLogger final : public sdk::Logger {
 public:
  explicit PluginLogger(std::string prefix) : prefix_(std::move(prefix)) {}
  void log(sdk::LogLevel level, std::string_view queue_id, std::string_view text) noexcept override;

 private:
  const std::string prefix_;
};

}  // namespace qmilter::core
