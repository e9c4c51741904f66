// whitelist_lookup_bench: the latency the DB whitelist adds to a message, measured where the
// milter pays it - DbWhitelist::whitelisted() - from N threads at once, without the milter
// protocol around it. Run by run-whitelist-bench.py against a filled SQLite file and
// PostgreSQL table; prints one JSON object per case (miss: no entry matches; hit: one does).
//
// usage: whitelist_lookup_bench URL TABLE [THREADS=16] [SECONDS=3]
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "concurrent_calls.hpp"
#include "db_whitelist.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"

namespace {

using namespace qmilter;

struct Case {
  const char* name;
  const char* sender;
  const char* recipient;
  std::size_t expected;
};

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
    const std::vector<std::string> recipients{c.recipient};
    // 50 unmeasured calls per thread first: connections opened, statements prepared.
    auto times = bench::time_concurrent_calls(threads, 50, seconds, [&](int, long) {
      auto result = whitelist.whitelisted(c.sender, recipients);
      return result.ok() && result.value().size() == c.expected;
    });
    std::printf("{\"case\": \"%s\", \"threads\": %d, \"calls\": %zu, \"calls_per_s\": %.0f, \"p50_us\": %.0f, "
                "\"p90_us\": %.0f, \"p99_us\": %.0f, \"max_us\": %.0f, \"failed\": %s}\n",
                c.name, threads, times.sorted_us.size(), static_cast<double>(times.sorted_us.size()) / seconds,
                times.percentile(0.5), times.percentile(0.9), times.percentile(0.99), times.max(),
                times.failed ? "true" : "false");
    std::fflush(stdout);  // a script reads each case as it ends
  }
  return 0;
}
