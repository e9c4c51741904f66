// whitelist_lookup_bench: the latency the DB whitelist adds to a message, measured where the
// milter pays it - DbWhitelist::whitelisted() - from N threads at once, without the milter
// protocol around it. Run by run-whitelist-bench.py against a filled SQLite file and
// PostgreSQL table; prints one JSON object per case (miss: no entry matches; hit: one does).
//
// usage: whitelist_lookup_bench URL TABLE [THREADS=16] [SECONDS=3]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "db_whitelist.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace qmilter;

struct Case {
  const char* name;
  const char* sender;
  const char* recipient;
  std::size_t expected;
};

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t index = std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s URL TABLE [THREADS=16] [SECONDS=3]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 3 ? std::atoi(argv[3]) : 16;
  const double seconds = argc > 4 ? std::atof(argv[4]) : 3.0;
  sdk::testing::CaptureLogger logger;
  sdk::PluginContext context;
  context.quarantine = "spam";
  context.logger = &logger;
  std::map<std::string, sdk::OptionValue> values{{"whitelist_db_connection", std::string(argv[1])},
                                                 {"whitelist_db_table", std::string(argv[2])}};
  auto made = whitelist_db::DbWhitelist::create(sdk::Options("spam", values), context);
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.error().message.c_str());
    return 1;
  }
  auto& whitelist = *made.value();
  const Case cases[] = {{"miss", "nobody@nowhere.example", "rcpt5000@example.com", 0},
                        {"hit", "user5000@sender0.example", "rcpt5000@example.com", 1}};
  for (const Case& c : cases) {
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
    std::atomic<bool> failed{false};
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const std::vector<std::string> recipients{c.recipient};
        // 50 unmeasured calls first: connections opened, statements prepared.
        for (int i = 0; i < 50; ++i) (void)whitelist.whitelisted(c.sender, recipients);
        while (Clock::now() < deadline) {
          auto start = Clock::now();
          auto result = whitelist.whitelisted(c.sender, recipients);
          auto took = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
          if (!result.ok() || result.value().size() != c.expected) failed = true;
          latencies[static_cast<std::size_t>(t)].push_back(took);
        }
      });
    }
    for (auto& worker : workers) worker.join();
    std::vector<double> all;
    for (auto& mine : latencies) all.insert(all.end(), mine.begin(), mine.end());
    std::sort(all.begin(), all.end());
    std::printf("{\"case\": \"%s\", \"threads\": %d, \"calls\": %zu, \"calls_per_s\": %.0f, \"p50_us\": %.0f, "
                "\"p90_us\": %.0f, \"p99_us\": %.0f, \"max_us\": %.0f, \"failed\": %s}\n",
                c.name, threads, all.size(), static_cast<double>(all.size()) / seconds, percentile(all, 0.5),
                percentile(all, 0.9), percentile(all, 0.99), all.empty() ? 0.0 : all.back(), failed ? "true" : "false");
    std::fflush(stdout);  // a script reads each case as it ends
  }
  return 0;
}
