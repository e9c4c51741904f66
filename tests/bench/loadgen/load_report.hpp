// What a load run measured: throughput, latency percentiles, verdicts (also per deciding
// step) and modification actions, printed as plain lines or as one JSON object. Each worker
// thread fills its own LoadStats; they are merged after the workers have joined.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "loadgen/mta_session.hpp"

namespace qmilter::bench {

class LoadStats {
 public:
  void add(const SessionResult& result);
  void merge(LoadStats&& other);

  std::uint64_t messages() const { return messages_; }
  std::uint64_t count(Verdict verdict) const { return verdicts_[static_cast<std::size_t>(verdict)]; }
  // Count of messages with this verdict decided at this step ("accept@eoh").
  std::uint64_t count(Verdict verdict, Stage stage) const;
  // Latency at quantile q (0..1, nearest rank) over decided messages, in milliseconds.
  double latency_ms(double q) const;
  double mean_latency_ms() const;

 private:
  friend struct LoadReport;
  std::uint64_t messages_ = 0;
  std::vector<std::int64_t> latencies_ns_;  // sorted by LoadReport before reading
  std::array<std::uint64_t, static_cast<std::size_t>(Verdict::count_)> verdicts_{};
  std::map<std::pair<Verdict, Stage>, std::uint64_t> decided_at_;
  ActionCounts actions_{};
  std::vector<std::string> first_errors_;  // a few, to show what went wrong
  std::uint32_t negotiated_protocol_ = 0;
  std::uint32_t negotiated_actions_ = 0;
  bool negotiated_seen_ = false;
};

// A finished run: settings worth repeating in the output, and the merged stats.
struct LoadReport {
  std::string socket;
  std::size_t concurrency = 0;
  std::uint64_t warmup = 0;
  std::size_t message_bytes = 0;
  std::size_t recipients = 0;
  double elapsed_s = 0;
  LoadStats stats;

  // Sorts latencies; call once before printing.
  void finish();
  double msgs_per_s() const;
  void print_text(std::ostream& out) const;
  void print_json(std::ostream& out) const;
};

}  // namespace qmilter::bench
