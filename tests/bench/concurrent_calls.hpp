// Times one operation called from N threads at once, for a fixed time: how the benchmarks of
// a single component (whitelist_lookup_bench, file_store_bench) measure it. Header-only.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

namespace qmilter::bench {

struct CallTimes {
  std::vector<double> sorted_us;  // every timed call, ascending
  bool failed = false;            // a call reported failure (and the run stopped there)

  double percentile(double p) const {
    if (sorted_us.empty()) return 0;
    auto index = std::min(sorted_us.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted_us.size())));
    return sorted_us[index];
  }
  double max() const { return sorted_us.empty() ? 0 : sorted_us.back(); }
};

// Calls `call(thread, n)` from `threads` threads until `seconds` have passed; `n` counts that
// thread's calls from 0, and `call` returns whether it worked. Each thread's first `warmup`
// calls are not timed. The first failed call stops every thread.
template <class Call>
CallTimes time_concurrent_calls(int threads, int warmup, double seconds, Call call) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> times(static_cast<std::size_t>(threads));
  std::atomic<bool> failed{false};
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (long n = 0; !failed && (n < warmup || Clock::now() < deadline); ++n) {
        const auto start = Clock::now();
        if (!call(t, n)) failed = true;
        if (n >= warmup) {
          times[static_cast<std::size_t>(t)].push_back(
              std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CallTimes result;
  for (auto& mine : times) result.sorted_us.insert(result.sorted_us.end(), mine.begin(), mine.end());
  std::sort(result.sorted_us.begin(), result.sorted_us.end());
  result.failed = failed;
  return result;
}

}  // namespace qmilter::bench
