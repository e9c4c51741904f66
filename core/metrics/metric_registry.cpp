#include "core/metrics/metric_registry.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace qmilter::core {
namespace {

enum Type { counter_type, gauge_type, histogram_type };
constexpr const char* type_names[] = {"counter", "gauge", "histogram"};

std::string number_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : "NaN";
}

bool is_identifier(const std::string& text, bool colons) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9')) return false;
  return std::all_of(text.begin(), text.end(), [colons](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (colons && c == ':');
  });
}

void escape_into(std::string& out, const std::string& text, bool quote) {
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
}

struct Series {
  virtual ~Series() = default;
  // `labels`: the inner text of the label set ('a="x",b="y"'), possibly empty.
  virtual void render(std::string& out, const std::string& name, const std::string& labels) const = 0;
};

void sample(std::string& out, const std::string& name, const std::string& labels, const std::string& value) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += value;
  out += '\n';
}

struct CounterSeries final : Series, sdk::Counter {
  std::atomic<std::uint64_t> value{0};
  void add(std::uint64_t amount) noexcept override { value.fetch_add(amount, std::memory_order_relaxed); }
  void render(std::string& out, const std::string& name, const std::string& labels) const override {
    sample(out, name, labels, std::to_string(value.load(std::memory_order_relaxed)));
  }
};

struct GaugeSeries final : Series, sdk::Gauge {
  std::atomic<double> value{0};
  void set(double v) noexcept override { value.store(v, std::memory_order_relaxed); }
  void add(double amount) noexcept override { value.fetch_add(amount, std::memory_order_relaxed); }
  void render(std::string& out, const std::string& name, const std::string& labels) const override {
    sample(out, name, labels, number_text(value.load(std::memory_order_relaxed)));
  }
};

struct HistogramSeries final : Series, sdk::Histogram {
  explicit HistogramSeries(const std::vector<double>& upper_bounds)
      : bounds(upper_bounds), counts(new std::atomic<std::uint64_t>[upper_bounds.size() + 1]) {
    for (std::size_t i = 0; i <= bounds.size(); ++i) counts[i].store(0, std::memory_order_relaxed);
  }
  const std::vector<double> bounds;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts;  // per bucket, not cumulative; last: above all
  std::atomic<double> sum{0};

  void observe(double value) noexcept override {
    const std::size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
    counts[bucket].fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(value, std::memory_order_relaxed);
  }
  void render(std::string& out, const std::string& name, const std::string& labels) const override {
    const std::string prefix = labels.empty() ? "" : labels + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += counts[i].load(std::memory_order_relaxed);
      const std::string bound = i < bounds.size() ? number_text(bounds[i]) : "+Inf";
      sample(out, name + "_bucket", prefix + "le=\"" + bound + "\"", std::to_string(cumulative));
    }
    sample(out, name + "_sum", labels, number_text(sum.load(std::memory_order_relaxed)));
    // The +Inf bucket's figure, so _count always equals it even while observations arrive.
    sample(out, name + "_count", labels, std::to_string(cumulative));
  }
};

}  // namespace

struct MetricRegistry::Family {
  std::string name;
  std::string help;
  int type = counter_type;
  std::vector<double> buckets;
  std::vector<std::string> label_names;  // of the first registration; later ones must agree
  bool has_label_names = false;
  std::map<std::string, std::unique_ptr<Series>> series;  // by the label set's text
};

MetricRegistry::MetricRegistry() = default;
MetricRegistry::~MetricRegistry() = default;

MetricRegistry::Family& MetricRegistry::family(const std::string& name, const std::string& help, int type,
                                               const std::vector<double>& buckets) {
  auto refuse = [&](const std::string& why) { throw std::invalid_argument("metric '" + name + "': " + why); };
  if (!is_identifier(name, true)) refuse("a name is lower-case letters, digits, '_' and ':', not starting with a digit");
  if (type == counter_type && !name.ends_with("_total")) refuse("a counter's name ends in _total");
  if (help.empty()) refuse("the help text is empty");
  if (type == histogram_type) {
    if (buckets.empty()) refuse("a histogram needs at least one bucket");
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      if (!std::isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
        refuse("bucket bounds must be finite and strictly increasing");
      }
    }
  }
  auto found = families_.find(name);
  if (found == families_.end()) {
    auto made = std::make_unique<Family>();
    made->name = name;
    made->help = help;
    made->type = type;
    made->buckets = buckets;
    found = families_.emplace(name, std::move(made)).first;
  }
  Family& f = *found->second;
  if (f.type != type) refuse(std::string("already registered as a ") + type_names[f.type]);
  if (f.help != help) refuse("already registered with the help text '" + f.help + "'");
  if (type == histogram_type && f.buckets != buckets) refuse("already registered with other buckets");
  return f;
}

namespace {

// The label set's text, after checking it against the family's label names.
std::string label_text(const std::string& name, const sdk::MetricLabels& labels, bool histogram,
                       std::vector<std::string>& family_names, bool& family_has_names) {
  auto refuse = [&](const std::string& why) { throw std::invalid_argument("metric '" + name + "': " + why); };
  std::vector<std::string> names;
  std::string text;
  for (const auto& [label, value] : labels) {
    if (!is_identifier(label, false) || label.starts_with("__")) {
      refuse("label '" + label + "': a label name is lower-case letters, digits and '_', not starting with '__'");
    }
    if (histogram && label == "le") refuse("'le' is the bucket label of a histogram");
    if (std::find(names.begin(), names.end(), label) != names.end()) refuse("label '" + label + "' given twice");
    names.push_back(label);
    if (!text.empty()) text += ',';
    text += label + "=\"";
    escape_into(text, value, true);
    text += '"';
  }
  if (!family_has_names) {
    family_names = names;
    family_has_names = true;
  } else if (names != family_names) {
    std::string expected;
    for (const std::string& n : family_names) expected += (expected.empty() ? "" : ", ") + n;
    refuse("every series of a metric has the same labels (" + (expected.empty() ? "none" : expected) + ")");
  }
  return text;
}

}  // namespace

sdk::Counter& MetricRegistry::counter(const std::string& name, const std::string& help,
                                      const sdk::MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, counter_type, {});
  auto& slot = f.series[label_text(name, labels, false, f.label_names, f.has_label_names)];
  if (!slot) slot = std::make_unique<CounterSeries>();
  return static_cast<CounterSeries&>(*slot);
}

sdk::Gauge& MetricRegistry::gauge(const std::string& name, const std::string& help, const sdk::MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, gauge_type, {});
  auto& slot = f.series[label_text(name, labels, false, f.label_names, f.has_label_names)];
  if (!slot) slot = std::make_unique<GaugeSeries>();
  return static_cast<GaugeSeries&>(*slot);
}

sdk::Histogram& MetricRegistry::histogram(const std::string& name, const std::string& help,
                                          const sdk::MetricLabels& labels, const std::vector<double>& buckets) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, histogram_type, buckets);
  auto& slot = f.series[label_text(name, labels, true, f.label_names, f.has_label_names)];
  if (!slot) slot = std::make_unique<HistogramSeries>(buckets);
  return static_cast<HistogramSeries&>(*slot);
}

std::string MetricRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f->series.empty()) continue;
    out += "# HELP " + name + " ";
    escape_into(out, f->help, false);
    out += "\n# TYPE " + name + " " + type_names[f->type] + "\n";
    for (const auto& [labels, series] : f->series) series->render(out, name, labels);
  }
  return out;
}

MetricRegistry& process_metrics() {
  // Never destroyed: plugin threads may still count while static objects are torn down at exit.
  static MetricRegistry* const registry = new MetricRegistry;
  return *registry;
}

sdk::MetricLabels QuarantineScopedMetrics::scoped(const std::string& name, const sdk::MetricLabels& labels) const {
  if (!name.starts_with("qmilter_")) {
    throw std::invalid_argument("metric '" + name + "': a plugin's metric names start with qmilter_");
  }
  sdk::MetricLabels all{{"quarantine", quarantine_}};
  for (const auto& label : labels) {
    if (label.first == "quarantine") {
      throw std::invalid_argument("metric '" + name + "': the host adds the label 'quarantine' itself");
    }
    all.push_back(label);
  }
  return all;
}

sdk::Counter& QuarantineScopedMetrics::counter(const std::string& name, const std::string& help,
                                               const sdk::MetricLabels& labels) {
  return registry_.counter(name, help, scoped(name, labels));
}

sdk::Gauge& QuarantineScopedMetrics::gauge(const std::string& name, const std::string& help,
                                           const sdk::MetricLabels& labels) {
  return registry_.gauge(name, help, scoped(name, labels));
}

sdk::Histogram& QuarantineScopedMetrics::histogram(const std::string& name, const std::string& help,
                                                   const sdk::MetricLabels& labels,
                                                   const std::vector<double>& buckets) {
  return registry_.histogram(name, help, scoped(name, labels), buckets);
}

}  // namespace qmilter::core
