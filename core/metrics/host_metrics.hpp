// The daemon's and qmilter-web's own series in the process registry: what the MTA was told,
// why a message was deferred, per quarantine what was stored, whitelisted and how long the
// store and whitelist took. Labels are outcomes and quarantine names, never addresses.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/metrics/metric_registry.hpp"
#include "qmilter/sdk/action.hpp"

namespace qmilter::core {

// One quarantine's series, registered when a configuration loads (again on each reload:
// the registry hands back the same series, so the counts go on). Null in a Quarantine made
// without the loader (unit tests): then nothing is counted.
struct QuarantineSeries {
  sdk::Histogram* store_seconds = nullptr;
  sdk::Histogram* whitelist_lookup_seconds = nullptr;
  sdk::Counter* whitelisted = nullptr;  // recipients a match spared because of the whitelist
  std::array<sdk::Counter*, 5> quarantined{};  // messages taken, by the action's verdict kind

  sdk::Counter& quarantined_as(sdk::Verdict::Kind kind) const { return *quarantined[static_cast<std::size_t>(kind)]; }
};

QuarantineSeries quarantine_series(const std::string& quarantine);

const char* verdict_name(sdk::Verdict::Kind kind);

// qmilter_build_info and process_start_time_seconds, for qmilter and qmilter-web alike.
void register_process_metrics(const std::string& version);
// qmilter_config_reloads_total{result="applied"|"refused"}.
void count_config_reload(bool applied);

namespace daemon_metrics {

// The answer the MTA got for one message.
void count_answer(sdk::Verdict::Kind verdict);
// A message deferred because something failed; `reason` is one of tempfail_reasons.
void count_failure(std::string_view reason);
inline constexpr std::array<std::string_view, 8> tempfail_reasons{"regex",  "whitelist", "store",   "notify",
                                                                   "action", "mta",       "message", "internal"};
sdk::Gauge& connections();
// Every series above at zero, so that a scrape right after the start shows each of them.
void register_series();

}  // namespace daemon_metrics
}  // namespace qmilter::core
