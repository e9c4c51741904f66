#include "core/metrics/host_metrics.hpp"

#include <chrono>

#include "qmilter/sdk/abi.hpp"

namespace qmilter::core {
namespace {

constexpr std::array<sdk::Verdict::Kind, 5> verdict_kinds{sdk::Verdict::Kind::accept, sdk::Verdict::Kind::discard,
                                                          sdk::Verdict::Kind::reject, sdk::Verdict::Kind::tempfail,
                                                          sdk::Verdict::Kind::hold};

struct DaemonSeries {
  std::array<sdk::Counter*, 5> answers{};
  std::array<sdk::Counter*, daemon_metrics::tempfail_reasons.size()> failures{};
  sdk::Gauge* connections = nullptr;

  DaemonSeries() {
    MetricRegistry& registry = process_metrics();
    for (sdk::Verdict::Kind kind : verdict_kinds) {
      answers[static_cast<std::size_t>(kind)] = &registry.counter(
          "qmilter_messages_total", "Messages judged, by the answer the MTA got", {{"verdict", verdict_name(kind)}});
    }
    for (std::size_t i = 0; i < failures.size(); ++i) {
      failures[i] = &registry.counter("qmilter_tempfail_total", "Messages deferred because a step failed, by the step",
                                      {{"reason", std::string(daemon_metrics::tempfail_reasons[i])}});
    }
    connections = &registry.gauge("qmilter_connections", "MTA connections open now");
  }
};

DaemonSeries& series() {
  static DaemonSeries daemon;
  return daemon;
}

sdk::Counter& config_reloads(bool applied) {
  return process_metrics().counter("qmilter_config_reloads_total",
                                   "Configuration reloads (SIGHUP), by whether the new configuration was applied",
                                   {{"result", applied ? "applied" : "refused"}});
}

}  // namespace

const char* verdict_name(sdk::Verdict::Kind kind) {
  switch (kind) {
    case sdk::Verdict::Kind::accept: return "accept";
    case sdk::Verdict::Kind::discard: return "discard";
    case sdk::Verdict::Kind::reject: return "reject";
    case sdk::Verdict::Kind::tempfail: return "tempfail";
    case sdk::Verdict::Kind::hold: return "hold";
  }
  return "?";
}

QuarantineSeries quarantine_series(const std::string& quarantine) {
  MetricRegistry& registry = process_metrics();
  QuarantineSeries made;
  made.store_seconds = &registry.histogram("qmilter_store_duration_seconds",
                                           "Time the quarantine store took to keep a message", {{"quarantine", quarantine}});
  made.whitelist_lookup_seconds = &registry.histogram(
      "qmilter_whitelist_lookup_duration_seconds", "Time one whitelist lookup took", {{"quarantine", quarantine}});
  made.whitelisted = &registry.counter("qmilter_whitelisted_total",
                                       "Recipients of a matching message that the whitelist let through",
                                       {{"quarantine", quarantine}});
  for (sdk::Verdict::Kind kind : verdict_kinds) {
    made.quarantined[static_cast<std::size_t>(kind)] =
        &registry.counter("qmilter_quarantined_total", "Messages a quarantine took, by the answer its action chose",
                          {{"quarantine", quarantine}, {"action", verdict_name(kind)}});
  }
  return made;
}

namespace daemon_metrics {

void count_answer(sdk::Verdict::Kind verdict) { series().answers[static_cast<std::size_t>(verdict)]->add(); }

void count_failure(std::string_view reason) {
  std::size_t i = 0;
  while (i + 1 < tempfail_reasons.size() && tempfail_reasons[i] != reason) ++i;  // unknown: "internal"
  series().failures[i]->add();
  count_answer(sdk::Verdict::Kind::tempfail);
}

sdk::Gauge& connections() { return *series().connections; }

void register_series() { (void)series(); }

}  // namespace daemon_metrics

void count_config_reload(bool applied) { config_reloads(applied).add(); }

void register_process_metrics(const std::string& version) {
  MetricRegistry& registry = process_metrics();
  config_reloads(true);
  config_reloads(false);
  const std::string abi = std::to_string(sdk::abi_major) + "." + std::to_string(sdk::abi_minor);
  registry.gauge("qmilter_build_info", "Always 1; the labels say which qmilter and SDK ABI run",
                 {{"version", version}, {"abi", abi}})
      .set(1);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  registry.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds")
      .set(std::chrono::duration<double>(now).count());
}

}  // namespace qmilter::core
