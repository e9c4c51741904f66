// Checks of qmilterctl's numeric arguments: -o DAYS and whitelist entry ids. CLI11's own
// NonNegativeNumber would accept a DAYS whose seconds overflow and print DBL_MAX in full
// when refusing; these state the accepted range in words.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>

namespace qmilter::cli {

// A hundred years: enough for any retention, and DAYS * 86400 stays far inside int64.
inline constexpr std::int64_t max_age_days = 36500;

// -o DAYS: a whole number of days, 0 ... max_age_days.
CLI::Validator age_in_days();

// A whitelist entry id: a whole number from 1 up.
CLI::Validator entry_id();

}  // namespace qmilter::cli
