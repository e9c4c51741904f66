#include "core/metrics/metric_registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace qmilter::core {
namespace {

TEST(MetricRegistry, RendersCountersGaugesAndHistogramsInTheTextFormat) {
  MetricRegistry registry;
  registry.counter("qmilter_things_total", "Things seen", {{"kind", "a"}}).add(3);
  registry.gauge("qmilter_open", "Open now").set(2.5);
  auto& took = registry.histogram("qmilter_step_duration_seconds", "Step time", {}, {0.1, 1});
  took.observe(0.05);
  took.observe(0.1);  // on a bound: counted in that bucket (le is "less or equal")
  took.observe(7);
  EXPECT_EQ(registry.render(),
            "# HELP qmilter_open Open now\n"
            "# TYPE qmilter_open gauge\n"
            "qmilter_open 2.5\n"
            "# HELP qmilter_step_duration_seconds Step time\n"
            "# TYPE qmilter_step_duration_seconds histogram\n"
            "qmilter_step_duration_seconds_bucket{le=\"0.1\"} 2\n"
            "qmilter_step_duration_seconds_bucket{le=\"1\"} 2\n"
            "qmilter_step_duration_seconds_bucket{le=\"+Inf\"} 3\n"
            "qmilter_step_duration_seconds_sum 7.15\n"
            "qmilter_step_duration_seconds_count 3\n"
            "# HELP qmilter_things_total Things seen\n"
            "# TYPE qmilter_things_total counter\n"
            "qmilter_things_total{kind=\"a\"} 3\n");
}

TEST(MetricRegistry, RegisteringAgainReturnsTheSameSeries) {
  MetricRegistry registry;
  auto& first = registry.counter("qmilter_x_total", "X", {{"result", "ok"}});
  first.add();
  auto& again = registry.counter("qmilter_x_total", "X", {{"result", "ok"}});
  EXPECT_EQ(&first, &again);
  again.add();
  registry.counter("qmilter_x_total", "X", {{"result", "failed"}});
  EXPECT_NE(registry.render().find("qmilter_x_total{result=\"ok\"} 2\n"), std::string::npos);
  EXPECT_NE(registry.render().find("qmilter_x_total{result=\"failed\"} 0\n"), std::string::npos);
}

TEST(MetricRegistry, LabelValuesAndHelpAreEscaped) {
  MetricRegistry registry;
  registry.counter("qmilter_y_total", "Line one\nback\\slash", {{"kind", "a\"b\\c\nd"}}).add();
  const std::string text = registry.render();
  EXPECT_NE(text.find("# HELP qmilter_y_total Line one\\nback\\\\slash\n"), std::string::npos);
  EXPECT_NE(text.find("qmilter_y_total{kind=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos);
}

TEST(MetricRegistry, RefusesWhatPrometheusWouldNotRead) {
  MetricRegistry registry;
  auto refused = [&](auto&& registration, const std::string& expected) {
    try {
      registration();
      ADD_FAILURE() << "accepted: " << expected;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refused([&] { registry.counter("qmilter_things", "T"); }, "ends in _total");
  refused([&] { registry.counter("Qmilter_x_total", "T"); }, "lower-case");
  refused([&] { registry.counter("9x_total", "T"); }, "not starting with a digit");
  refused([&] { registry.gauge("qmilter_g", ""); }, "help text is empty");
  refused([&] { registry.gauge("qmilter_g", "G", {{"__reserved", "x"}}); }, "'__'");
  refused([&] { registry.gauge("qmilter_g", "G", {{"a", "1"}, {"a", "2"}}); }, "given twice");
  refused([&] { registry.histogram("qmilter_h_seconds", "H", {{"le", "1"}}); }, "bucket label");
  refused([&] { registry.histogram("qmilter_h_seconds", "H", {}, {1, 1}); }, "strictly increasing");
  registry.gauge("qmilter_same", "S", {{"kind", "a"}});
  refused([&] { registry.counter("qmilter_same", "S"); }, "ends in _total");
  refused([&] { registry.histogram("qmilter_same", "S"); }, "already registered as a gauge");
  refused([&] { registry.gauge("qmilter_same", "Other help", {{"kind", "b"}}); }, "help text");
  refused([&] { registry.gauge("qmilter_same", "S", {{"other", "b"}}); }, "the same labels (kind)");
}

TEST(MetricRegistry, CountsFromManyThreadsAddUp) {
  MetricRegistry registry;
  auto& counter = registry.counter("qmilter_n_total", "N");
  auto& histogram = registry.histogram("qmilter_d_seconds", "D");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25'000; ++i) {
        counter.add();
        histogram.observe(0.002);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = registry.render();
  EXPECT_NE(text.find("qmilter_n_total 100000\n"), std::string::npos);
  EXPECT_NE(text.find("qmilter_d_seconds_count 100000\n"), std::string::npos);
  EXPECT_NE(text.find("qmilter_d_seconds_bucket{le=\"0.001\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("qmilter_d_seconds_bucket{le=\"0.0025\"} 100000\n"), std::string::npos);
}

TEST(QuarantineScopedMetrics, AddsTheQuarantineAndKeepsPluginsInTheirNamespace) {
  MetricRegistry registry;
  QuarantineScopedMetrics spam(registry, "spam");
  spam.counter("qmilter_mystore_writes_total", "Writes", {{"result", "ok"}}).add();
  EXPECT_NE(registry.render().find("qmilter_mystore_writes_total{quarantine=\"spam\",result=\"ok\"} 1\n"),
            std::string::npos);
  EXPECT_THROW(spam.counter("mystore_writes_total", "Writes"), std::invalid_argument);
  EXPECT_THROW(spam.gauge("qmilter_g", "G", {{"quarantine", "other"}}), std::invalid_argument);
}

TEST(DiscardingMetrics, AcceptsEverything) {
  sdk::Metrics& metrics = sdk::discarding_metrics();
  metrics.counter("anything", "").add();
  metrics.histogram("anything", "").observe(1);
  SUCCEED();
}

}  // namespace
}  // namespace qmilter::core
