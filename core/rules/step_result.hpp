// A Result that also names the step of judging a message that failed, so the daemon can
// count temporary failures by their cause without reading error messages.
#pragma once

#include <utility>

#include "qmilter/sdk/result.hpp"

namespace qmilter::core {

enum class FailedStep { regex, whitelist, store, notify, action };

constexpr const char* step_name(FailedStep step) {
  switch (step) {
    case FailedStep::regex: return "regex";
    case FailedStep::whitelist: return "whitelist";
    case FailedStep::store: return "store";
    case FailedStep::notify: return "notify";
    case FailedStep::action: return "action";
  }
  return "internal";
}

template <class T>
class StepResult : public sdk::Result<T> {
 public:
  StepResult(T value) : sdk::Result<T>(std::move(value)) {}  // NOLINT: implicit, as Result's
  StepResult(FailedStep step, sdk::Error error) : sdk::Result<T>(std::move(error)), step_(step) {}

  FailedStep failed_step() const noexcept { return step_; }  // meaningful only when !ok()

 private:
  FailedStep step_ = FailedStep::regex;
};

}  // namespace qmilter::core
