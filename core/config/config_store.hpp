// The current configuration generation. A connection takes current() once at its start and
// keeps that shared_ptr; a reload replace()s the pointer for new connections only. The old
// generation is destroyed when its last connection ends. Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "core/config/config.hpp"

namespace qmilter::core {

class ConfigStore {
 public:
  explicit ConfigStore(std::shared_ptr<const Config> initial) : current_(std::move(initial)) {}

  std::shared_ptr<const Config> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(std::shared_ptr<const Config> next) {
    std::shared_ptr<const Config> previous;  // destroyed outside the lock
    std::lock_guard lock(mutex_);
    previous = std::move(current_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Config> current_;
};

}  // namespace qmilter::core
