// Aggregating and printing load-run figures (see load_report.hpp).
#include "loadgen/load_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>

namespace qmilter::bench {
namespace {

constexpr std::size_t kept_errors = 5;

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

void LoadStats::add(const SessionResult& result) {
  ++messages_;
  ++verdicts_[static_cast<std::size_t>(result.verdict)];
  ++decided_at_[{result.verdict, result.stage}];
  for (std::size_t i = 0; i < actions_.size(); ++i) actions_[i] += result.actions[i];
  if (result.verdict == Verdict::error) {
    if (first_errors_.size() < kept_errors) first_errors_.push_back(result.error);
    return;
  }
  latencies_ns_.push_back(result.latency.count());
  if (!negotiated_seen_) {
    negotiated_seen_ = true;
    negotiated_protocol_ = result.negotiated_protocol;
    negotiated_actions_ = result.negotiated_actions;
  }
}

void LoadStats::merge(LoadStats&& other) {
  messages_ += other.messages_;
  latencies_ns_.insert(latencies_ns_.end(), other.latencies_ns_.begin(), other.latencies_ns_.end());
  for (std::size_t i = 0; i < verdicts_.size(); ++i) verdicts_[i] += other.verdicts_[i];
  for (const auto& [key, n] : other.decided_at_) decided_at_[key] += n;
  for (std::size_t i = 0; i < actions_.size(); ++i) actions_[i] += other.actions_[i];
  for (auto& error : other.first_errors_) {
    if (first_errors_.size() < kept_errors) first_errors_.push_back(std::move(error));
  }
  if (!negotiated_seen_ && other.negotiated_seen_) {
    negotiated_seen_ = true;
    negotiated_protocol_ = other.negotiated_protocol_;
    negotiated_actions_ = other.negotiated_actions_;
  }
}

std::uint64_t LoadStats::count(Verdict verdict, Stage stage) const {
  const auto found = decided_at_.find({verdict, stage});
  return found == decided_at_.end() ? 0 : found->second;
}

double LoadStats::latency_ms(double q) const {
  if (latencies_ns_.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies_ns_.size())));
  const std::size_t index = std::min(latencies_ns_.size() - 1, rank == 0 ? 0 : rank - 1);
  return static_cast<double>(latencies_ns_[index]) / 1e6;
}

double LoadStats::mean_latency_ms() const {
  if (latencies_ns_.empty()) return 0;
  const double sum = std::accumulate(latencies_ns_.begin(), latencies_ns_.end(), 0.0);
  return sum / static_cast<double>(latencies_ns_.size()) / 1e6;
}

void LoadReport::finish() { std::sort(stats.latencies_ns_.begin(), stats.latencies_ns_.end()); }

double LoadReport::msgs_per_s() const {
  return elapsed_s > 0 ? static_cast<double>(stats.messages_) / elapsed_s : 0;
}

void LoadReport::print_text(std::ostream& out) const {
  out << "socket        " << socket << '\n'
      << "concurrency   " << concurrency << '\n'
      << "message       " << message_bytes << " bytes, " << recipients << " recipient(s)\n"
      << "messages      " << stats.messages_ << " in " << fixed(elapsed_s, 3) << " s (warm-up "
      << warmup << ")\n"
      << "throughput    " << fixed(msgs_per_s(), 1) << " msgs/s\n"
      << "latency_ms    p50=" << fixed(stats.latency_ms(0.50), 3)
      << " p90=" << fixed(stats.latency_ms(0.90), 3) << " p99=" << fixed(stats.latency_ms(0.99), 3)
      << " max=" << fixed(stats.latency_ms(1.0), 3) << " mean=" << fixed(stats.mean_latency_ms(), 3)
      << '\n';
  out << "verdicts     ";
  for (std::size_t i = 0; i < stats.verdicts_.size(); ++i) {
    out << ' ' << verdict_name(static_cast<Verdict>(i)) << '=' << stats.verdicts_[i];
  }
  out << "\ndecided_at   ";
  for (const auto& [key, n] : stats.decided_at_) {
    out << ' ' << verdict_name(key.first) << '@' << stage_name(key.second) << '=' << n;
  }
  out << "\nactions      ";
  for (std::size_t i = 0; i < stats.actions_.size(); ++i) {
    if (stats.actions_[i] != 0) out << ' ' << action_name(static_cast<Action>(i)) << '=' << stats.actions_[i];
  }
  out << "\nnegotiated    protocol=" << hex(stats.negotiated_protocol_) << " ("
      << milter::protocol_flag_names(stats.negotiated_protocol_)
      << ") actions=" << hex(stats.negotiated_actions_) << '\n';
  for (const auto& error : stats.first_errors_) out << "error         " << error << '\n';
}

void LoadReport::print_json(std::ostream& out) const {
  nlohmann::json verdicts = nlohmann::json::object();
  for (std::size_t i = 0; i < stats.verdicts_.size(); ++i) {
    verdicts[verdict_name(static_cast<Verdict>(i))] = stats.verdicts_[i];
  }
  nlohmann::json decided_at = nlohmann::json::object();
  for (const auto& [key, n] : stats.decided_at_) {
    decided_at[std::string(verdict_name(key.first)) + '@' + stage_name(key.second)] = n;
  }
  nlohmann::json actions = nlohmann::json::object();
  for (std::size_t i = 0; i < stats.actions_.size(); ++i) {
    actions[action_name(static_cast<Action>(i))] = stats.actions_[i];
  }
  const nlohmann::json report = {
      {"socket", socket},
      {"concurrency", concurrency},
      {"message_bytes", message_bytes},
      {"recipients", recipients},
      {"messages", stats.messages_},
      {"warmup", warmup},
      {"elapsed_s", elapsed_s},
      {"msgs_per_s", msgs_per_s()},
      {"latency_ms",
       {{"p50", stats.latency_ms(0.50)},
        {"p90", stats.latency_ms(0.90)},
        {"p99", stats.latency_ms(0.99)},
        {"max", stats.latency_ms(1.0)},
        {"mean", stats.mean_latency_ms()}}},
      {"verdicts", verdicts},
      {"decided_at", decided_at},
      {"actions", actions},
      {"negotiated",
       {{"protocol", stats.negotiated_protocol_},
        {"protocol_flags", milter::protocol_flag_names(stats.negotiated_protocol_)},
        {"actions", stats.negotiated_actions_}}},
      {"errors", stats.first_errors_},
  };
  out << report.dump(2) << '\n';
}

}  // namespace qmilter::bench
