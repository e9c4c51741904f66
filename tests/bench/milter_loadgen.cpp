// milter_loadgen: drives a milter as an MTA would, with N concurrent connections and one
// message per connection, and reports msgs/s, latency percentiles and verdict counts.
// Used by the benchmarks in tests/bench (see BENCHMARKS.md) and by any later benchmark
// that replays an .eml file through a filter. Worker threads share the read-only
// SessionPlan; each keeps its own LoadStats, merged after the join.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "loadgen/load_report.hpp"
#include "loadgen/mta_session.hpp"

namespace qmilter::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string socket;
  std::size_t concurrency = 1;
  std::uint64_t messages = 1000;
  double duration_s = 0;
  std::uint64_t warmup = 0;
  std::string eml;
  std::vector<std::string> extra_headers;
  std::optional<std::size_t> body_size;
  std::optional<std::size_t> message_size;
  std::string sender = "bob@client.bench.example";
  std::vector<std::string> recipients;
  std::vector<std::string> mail_args;
  std::string client_ip = "192.0.2.10";
  std::string client_name = "client.bench.example";
  std::string helo = "client.bench.example";
  std::vector<std::string> macros;
  double timeout_s = 30;
  std::string hold_before;
  double hold_seconds = 0;
  std::string queue_id_prefix;
  std::vector<std::string> expectations;
  bool json = false;
};

// Holds sessions at the plan's hold point until every expected one has arrived and the
// operator (or a script, by closing stdin) releases them.
class CountingGate final : public HoldGate {
 public:
  explicit CountingGate(std::size_t expected) : expected_(expected) {}

  void hold() override {
    std::unique_lock lock(mutex_);
    ++arrived_;
    ++holding_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
  }
  void pass() override {
    std::lock_guard lock(mutex_);
    ++arrived_;
    changed_.notify_all();
  }
  // Waits until all expected sessions held or passed; returns how many hold.
  std::size_t wait_all() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return arrived_ >= expected_; });
    return holding_;
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t expected_;
  std::size_t arrived_ = 0;
  std::size_t holding_ = 0;
  bool released_ = false;
};

std::string with_angles(const std::string& address) {
  if (!address.empty() && address.front() == '<') return address;
  return "<" + address + ">";
}

SessionPlan build_plan(const Options& options) {
  SessionPlan plan;
  plan.endpoint = Endpoint::parse(options.socket);
  plan.timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_s * 1000));
  plan.client_address = options.client_ip;
  plan.client_name = options.client_name;
  plan.helo = options.helo;
  plan.sender = with_angles(options.sender);
  plan.mail_args = options.mail_args;
  if (!options.recipients.empty()) {
    plan.recipients.clear();
    for (const auto& recipient : options.recipients) plan.recipients.push_back(with_angles(recipient));
  }
  plan.message = options.eml.empty() ? EmlMessage::builtin() : EmlMessage::load(options.eml);
  for (const auto& header : options.extra_headers) plan.message.add_header(header);
  if (options.body_size) plan.message.set_body_size(*options.body_size);
  if (options.message_size) plan.message.set_total_size(*options.message_size);
  add_postfix_default_macros(plan);
  for (const auto& spec : options.macros) {
    const auto colon = spec.find(':');
    const auto equals = spec.find('=', colon == std::string::npos ? 0 : colon);
    const auto stage = colon == std::string::npos ? std::nullopt : stage_from_name(spec.substr(0, colon));
    if (!stage || equals == std::string::npos || equals == colon + 1) {
      throw std::runtime_error("--macro '" + spec + "': expected STAGE:NAME=VALUE with STAGE one of "
                               "connect, helo, mail, rcpt, data, eoh, eom");
    }
    plan.macros[*stage].emplace_back(spec.substr(colon + 1, equals - colon - 1), spec.substr(equals + 1));
  }
  if (!options.hold_before.empty()) {
    plan.hold_before = stage_from_name(options.hold_before);
    if (!plan.hold_before || plan.hold_before == Stage::optneg) {
      throw std::runtime_error("--hold-before '" + options.hold_before +
                               "': expected connect, helo, mail, rcpt, data, header, eoh, body or eom");
    }
  }
  plan.queue_id_prefix = options.queue_id_prefix;
  if (plan.queue_id_prefix.empty()) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%05X", static_cast<unsigned>(::getpid()) & 0xFFFFFu);
    plan.queue_id_prefix = prefix;
  }
  return plan;
}

// Runs `count` messages (numbered from first_number) on `concurrency` threads; the
// deadline, when set, stops workers from starting new messages.
LoadReport run_phase(const SessionPlan& plan, std::size_t concurrency, std::uint64_t first_number,
                     std::uint64_t count, std::optional<Clock::time_point> deadline,
                     CountingGate* gate) {
  std::atomic<std::uint64_t> next{0};
  std::vector<LoadStats> stats(concurrency);
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (std::size_t w = 0; w < concurrency; ++w) {
    workers.emplace_back([&, w] {
      for (;;) {
        const std::uint64_t index = next.fetch_add(1);
        if (index >= count) break;
        if (deadline && Clock::now() >= *deadline) break;
        HoldGate* hold = gate != nullptr && index < concurrency ? gate : nullptr;
        stats[w].add(run_session(plan, first_number + index, hold));
      }
    });
  }
  if (gate != nullptr) {
    const std::size_t holding = gate->wait_all();
    std::cout << "holding " << holding << " connections before " << stage_name(*plan.hold_before)
              << std::endl;
  }
  for (auto& worker : workers) worker.join();
  LoadReport report;
  report.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& s : stats) report.stats.merge(std::move(s));
  report.finish();
  return report;
}

// "accept=10" or "accept@eoh=10": exactly that many messages had that verdict (at that step).
bool check_expectation(const std::string& spec, const LoadStats& stats) {
  const auto equals = spec.find('=');
  const auto at = spec.find('@');
  if (equals == std::string::npos) throw std::runtime_error("--expect '" + spec + "': expected VERDICT[@STAGE]=N");
  const std::string verdict_text = spec.substr(0, std::min(at, equals));
  const auto verdict = verdict_from_name(verdict_text);
  if (!verdict) throw std::runtime_error("--expect '" + spec + "': unknown verdict '" + verdict_text + "'");
  std::optional<Stage> stage;
  if (at != std::string::npos && at < equals) {
    stage = stage_from_name(spec.substr(at + 1, equals - at - 1));
    if (!stage) throw std::runtime_error("--expect '" + spec + "': unknown stage");
  }
  const std::uint64_t wanted = std::stoull(spec.substr(equals + 1));
  const std::uint64_t got = stage ? stats.count(*verdict, *stage) : stats.count(*verdict);
  if (got != wanted) {
    std::cerr << "milter_loadgen: expected " << spec << ", got " << got << '\n';
    return false;
  }
  return true;
}

int run(const Options& options) {
  const SessionPlan plan = build_plan(options);
  if (options.warmup > 0) {
    run_phase(plan, options.concurrency, 0, options.warmup, std::nullopt, nullptr);
  }
  std::optional<Clock::time_point> deadline;
  if (options.duration_s > 0) {
    deadline = Clock::now() + std::chrono::microseconds(static_cast<long long>(options.duration_s * 1e6));
  }
  std::optional<CountingGate> gate;
  std::thread releaser;
  if (plan.hold_before) {
    gate.emplace(std::min<std::uint64_t>(options.concurrency, options.messages));
    // Released after --hold-seconds, or when stdin reaches end of file (a script closes it
    // once it has taken its measurement).
    releaser = std::thread([&] {
      gate->wait_all();
      if (options.hold_seconds > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(options.hold_seconds));
      } else {
        char buffer[256];
        while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
        }
      }
      gate->release();
    });
  }
  LoadReport report = run_phase(plan, options.concurrency, options.warmup, options.messages, deadline,
                                gate ? &*gate : nullptr);
  if (releaser.joinable()) releaser.join();
  report.socket = options.socket;
  report.concurrency = options.concurrency;
  report.warmup = options.warmup;
  report.message_bytes = plan.message.size();
  report.recipients = plan.recipients.size();
  if (options.json) {
    report.print_json(std::cout);
  } else {
    report.print_text(std::cout);
  }
  bool ok = report.stats.count(Verdict::error) == 0;
  for (const auto& expectation : options.expectations) ok = check_expectation(expectation, report.stats) && ok;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace qmilter::bench

int main(int argc, char** argv) {
  using qmilter::bench::Options;
  Options options;
  CLI::App app{"Milter load generator: plays the MTA side of the milter protocol (v6)"};
  app.add_option("-s,--socket", options.socket, "Filter socket: unix:/path, inet:PORT@HOST, inet6:PORT@HOST")
      ->required();
  app.add_option("-c,--concurrency", options.concurrency, "Concurrent connections")
      ->check(CLI::Range(1, 100000));
  app.add_option("-n,--messages", options.messages, "Messages to send (one per connection)");
  app.add_option("-d,--duration", options.duration_s,
                 "Stop starting new messages after this many seconds (with -n as an upper bound)");
  app.add_option("-w,--warmup", options.warmup, "Messages sent first and not counted");
  app.add_option("-e,--eml", options.eml, "Message file to replay (default: a built-in 1.5 KB message)")
      ->check(CLI::ExistingFile);
  app.add_option("-H,--header", options.extra_headers, "Extra header 'Name: value' appended (repeatable)");
  auto* body_size =
      app.add_option("-b,--body-size", options.body_size, "Replace the body with this many bytes of text");
  app.add_option("-m,--message-size", options.message_size,
                 "Size the body so that headers + body come to this many bytes (e.g. 4096)")
      ->excludes(body_size);
  app.add_option("-f,--from", options.sender, "Envelope sender");
  app.add_option("-r,--rcpt", options.recipients, "Envelope recipient (repeatable; default alice@bench.example)");
  app.add_option("--mail-arg", options.mail_args, "ESMTP argument of MAIL FROM, e.g. SIZE=2048 (repeatable)");
  app.add_option("--client-ip", options.client_ip, "Client IP address in CONNECT (IPv4 or IPv6)");
  app.add_option("--client-name", options.client_name, "Client host name in CONNECT");
  app.add_option("--helo", options.helo, "HELO name");
  app.add_option("--macro", options.macros, "Extra macro STAGE:NAME=VALUE, e.g. mail:{auth_authen}=bob (repeatable)");
  app.add_option("--timeout", options.timeout_s, "Seconds to wait for any reply");
  app.add_option("--hold-before", options.hold_before,
                 "The first -c sessions pause before this step (e.g. eoh, eom) until released");
  app.add_option("--hold-seconds", options.hold_seconds,
                 "Release held sessions after this many seconds (default: when stdin closes)");
  app.add_option("--queue-id-prefix", options.queue_id_prefix, "Prefix of the generated queue ids");
  app.add_option("--expect", options.expectations,
                 "VERDICT[@STAGE]=N: exit 1 unless exactly N messages got it (repeatable)");
  app.add_flag("--json", options.json, "Print the report as JSON");
  CLI11_PARSE(app, argc, argv);
  if (options.duration_s > 0 && app.count("--messages") == 0) {
    options.messages = UINT64_MAX;
  }
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return qmilter::bench::run(options);
  } catch (const std::exception& e) {
    std::cerr << "milter_loadgen: " << e.what() << '\n';
    return 2;
  }
}
