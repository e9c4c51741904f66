// The quarantines active for one SMTP client. Computed per connection into
// the connection's own list; the shared configuration is never changed (pyquarantine
// mutated its global list, so one ignored client switched the quarantine off for others).
#pragma once

#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/rules/evaluation.hpp"

namespace qmilter::core {

std::vector<Rule> rules_for_client(const Config& config, std::string_view client_address);

}  // namespace qmilter::core
