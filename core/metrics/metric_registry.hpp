// The process's Prometheus series: the host's own and those plugins register. Series live
// as long as the process, so a configuration reload keeps every count and the references
// plugins hold stay valid after their instance is gone. Updating a series is a relaxed
// atomic operation; only registration and rendering take the lock.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "qmilter/sdk/metrics.hpp"

namespace qmilter::core {

class MetricRegistry final : public sdk::Metrics {
 public:
  MetricRegistry();
  ~MetricRegistry();
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  // Throw std::invalid_argument naming the metric when a name, label or bucket list breaks
  // the rules of qmilter/sdk/metrics.hpp, or the name is registered with another type or help.
  sdk::Counter& counter(const std::string& name, const std::string& help, const sdk::MetricLabels& labels = {}) override;
  sdk::Gauge& gauge(const std::string& name, const std::string& help, const sdk::MetricLabels& labels = {}) override;
  sdk::Histogram& histogram(const std::string& name, const std::string& help, const sdk::MetricLabels& labels = {},
                            const std::vector<double>& buckets = sdk::duration_buckets()) override;

  // Everything in the Prometheus text exposition format (version 0.0.4), families sorted by name.
  std::string render() const;

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, int type, const std::vector<double>& buckets);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

// The registry of this process, for the host's series and every plugin's.
MetricRegistry& process_metrics();

// A plugin's view of a registry: every series it registers gets quarantine="<section>".
class QuarantineScopedMetrics final : public sdk::Metrics {
 public:
  QuarantineScopedMetrics(sdk::Metrics& registry, std::string quarantine)
      : registry_(registry), quarantine_(std::move(quarantine)) {}

  sdk::Counter& counter(const std::string& name, const std::string& help, const sdk::MetricLabels& labels = {}) override;
  sdk::Gauge& gauge(const std::string& name, const std::string& help, const sdk::MetricLabels& labels = {}) override;
  sdk::Histogram& histogram(const std::string& name, const std::string& help, const sdk::MetricLabels& labels = {},
                            const std::vector<double>& buckets = sdk::duration_buckets()) override;

 private:
  sdk::MetricLabels scoped(const std::string& name, const sdk::MetricLabels& labels) const;
  sdk::Metrics& registry_;
  std::string quarantine_;
};

}  // namespace qmilter::core
