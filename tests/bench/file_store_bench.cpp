// file_store_bench: how many messages a second the FILE store itself can make durable on a
// disk - FileStore::store() called from N threads at once, with no milter around it. This is
// the ceiling for FILE+DISCARD through the milter: run-file-bench.py prints it beside the
// milter figures, so a missed ratio can be told apart from a slow disk.
//
// usage: file_store_bench DIRECTORY [THREADS=8] [SECONDS=3] [BODY_BYTES=4096]
// Prints one JSON object. The entries it stores are left in DIRECTORY.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "concurrent_calls.hpp"
#include "file_store.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"

int main(int argc, char** argv) {
  using namespace qmilter;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY [THREADS=8] [SECONDS=3] [BODY_BYTES=4096]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 8;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 3.0;
  const long body_bytes = argc > 4 ? std::atol(argv[4]) : 4096;
  if (threads < 1 || seconds <= 0 || body_bytes < 0) {
    std::fprintf(stderr, "%s: THREADS must be >= 1, SECONDS > 0, BODY_BYTES >= 0\n", argv[0]);
    return 2;
  }
  sdk::testing::CaptureLogger logger;
  sdk::PluginContext context;
  context.quarantine = "spam";
  context.role = sdk::Role::daemon;
  context.logger = &logger;
  std::map<std::string, sdk::OptionValue> values{{"quarantine_directory", std::string(argv[1])}};
  auto made = quarantine_file::FileStore::create(sdk::Options("spam", values), context);
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.error().message.c_str());
    return 1;
  }
  auto& store = *made.value();

  // The load generator's message: a few headers and a body of CRLF lines.
  sdk::testing::FakeMessage message;
  message.headers_value = {{"From", "sender@example.org"},   {"To", "rcpt@example.com"},
                           {"Subject", "benchmark message"}, {"Message-ID", "<bench@example.org>"},
                           {"X-Spam-Flag", "YES"}};
  message.body_value.clear();
  while (static_cast<long>(message.body_value.size()) < body_bytes) message.body_value += std::string(70, 'x') + "\r\n";
  message.body_value.resize(static_cast<std::size_t>(body_bytes));
  sdk::Match match;
  match.subject = "X-Spam-Flag: YES";

  std::vector<sdk::testing::FakeMessage> messages(static_cast<std::size_t>(threads), message);  // one per thread
  auto times = bench::time_concurrent_calls(threads, 0, seconds, [&](int thread, long n) {
    sdk::testing::FakeMessage& mine = messages[static_cast<std::size_t>(thread)];
    mine.queue_id_value = "B" + std::to_string(thread) + "N" + std::to_string(n);  // unique, as from an MTA
    auto id = store.store(mine, mine.recipients_value, match);
    if (!id.ok()) std::fprintf(stderr, "store failed: %s\n", id.error().message.c_str());
    return id.ok();
  });
  std::printf("{\"threads\": %d, \"body_bytes\": %ld, \"stores\": %zu, \"stores_per_s\": %.0f, \"p50_us\": %.0f, "
              "\"p99_us\": %.0f, \"failed\": %s}\n",
              threads, body_bytes, times.sorted_us.size(), static_cast<double>(times.sorted_us.size()) / seconds,
              times.percentile(0.5), times.percentile(0.99), times.failed ? "true" : "false");
  return times.failed ? 1 : 0;
}
