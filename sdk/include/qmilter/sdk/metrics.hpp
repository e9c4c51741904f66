// Figures a plugin reports to the host's Prometheus endpoint (`metrics_listen`). A plugin
// registers its series once, in create(), through PluginContext::metrics, keeps the
// references, and updates them while it works:
//
//   auto& sent = context.metrics->counter("qmilter_mystore_writes_total", "Entries written",
//                                         {{"result", "ok"}});
//   ...
//   sent.add();
//
// The rules, checked at registration (a broken name throws std::invalid_argument, which the
// host reports as the plugin failing to start):
// - names are lower-case [a-z0-9_], start with "qmilter_", and a counter's ends in "_total";
//   durations are in seconds and sizes in bytes, with the unit in the name
//   ("_duration_seconds", "_bytes"), as Prometheus expects;
// - labels name outcomes and kinds, never an address or an id: every label value makes a
//   series that lives until the process ends;
// - the host adds `quarantine="<section>"` to every series of a plugin, so a plugin never
//   declares that label itself;
// - registering the same name and labels again returns the same series, so counts survive a
//   configuration reload (the new instance registers again); one name keeps one type and help.
// Updating is lock-free and never fails; the references stay valid for the process's life.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qmilter::sdk {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Only ever goes up (a restart starts again from zero, as Prometheus expects).
class Counter {
 public:
  virtual void add(std::uint64_t amount = 1) noexcept = 0;

 protected:
  ~Counter() = default;
};

// A value that goes up and down (files in an outbox, open connections).
class Gauge {
 public:
  virtual void set(double value) noexcept = 0;
  virtual void add(double amount) noexcept = 0;  // negative to go down

 protected:
  ~Gauge() = default;
};

// Counts observations into buckets (cumulative upper bounds, as Prometheus shows them).
class Histogram {
 public:
  virtual void observe(double value) noexcept = 0;

 protected:
  ~Histogram() = default;
};

// Upper bounds for durations in seconds, from a millisecond to the longest plugin timeout.
inline const std::vector<double>& duration_buckets() {
  static const std::vector<double> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                           0.25,   0.5,   1,      2.5,   5,    10,   30,    60};
  return buckets;
}

class Metrics {
 public:
  virtual Counter& counter(const std::string& name, const std::string& help, const MetricLabels& labels = {}) = 0;
  virtual Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {}) = 0;
  // `buckets`: strictly increasing upper bounds; +Inf is added by the host.
  virtual Histogram& histogram(const std::string& name, const std::string& help, const MetricLabels& labels = {},
                               const std::vector<double>& buckets = duration_buckets()) = 0;

 protected:
  ~Metrics() = default;
};

// Accepts every registration and keeps nothing: what a PluginContext made outside the host
// (a plugin's own unit test) carries, so `context.metrics` is never null.
inline Metrics& discarding_metrics() {
  struct Discarding final : Metrics, Counter, Gauge, Histogram {
    void add(std::uint64_t) noexcept override {}
    void set(double) noexcept override {}
    void add(double) noexcept override {}
    void observe(double) noexcept override {}
    Counter& counter(const std::string&, const std::string&, const MetricLabels&) override { return *this; }
    Gauge& gauge(const std::string&, const std::string&, const MetricLabels&) override { return *this; }
    Histogram& histogram(const std::string&, const std::string&, const MetricLabels&,
                         const std::vector<double>&) override {
      return *this;
    }
  };
  static Discarding discarding;
  return discarding;
}

}  // namespace qmilter::sdk
