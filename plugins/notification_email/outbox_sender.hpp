// Delivers what the outbox holds. deliver() sends each pending recipient of one claimed
// file and records the outcome (delivered → marked done, 5xx → kept in failed/ and marked
// done, 4xx or no connection → stays pending); the file goes when every recipient is done.
// OutboxSender is the daemon's background thread around it: it scans the outbox at start
// (what a previous run left), whenever notify() wakes it, and every few seconds (files
// another config generation or qmilterctl left), retrying with exponential backoff.
//
// At-least-once window: a recipient the relay accepted is marked done right after (a
// marker file, directory fsync'ed); a crash between the relay's "250" and that marker sends
// it again after the restart. Nothing else sends a notification twice: every attempt holds
// the file's flock, done recipients are skipped, and a clean stop waits for every
// notification whose end of data may be at the relay until its marker is written — also
// those of a thread an old generation left running (commit_window.hpp).
//
// Lifetime: the thread shares only a State object with its owner. The owner's destructor
// asks it to stop, waits briefly for a send in flight and otherwise leaves it to finish that
// one notification on its own (it never touches the logger after that, and sends no
// further one): closing the last connection of an old configuration must not wait for a
// slow relay.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/smtp/smtp_client.hpp"
#include "outbox.hpp"
#include "qmilter/sdk/logger.hpp"
#include "qmilter/sdk/metrics.hpp"

namespace qmilter::notification_email {

// What happened to each recipient of one outbox file in one attempt.
struct RecipientResult {
  enum class Kind { delivered, retry, failed } kind = Kind::retry;
  std::string recipient;
  std::string reason;  // the relay's reply or the local error, for logs
};

struct DeliveryResult {
  std::vector<RecipientResult> recipients;  // those that were tried (not done before)
  bool finished = false;  // every recipient is done and the file is gone
  bool retry() const noexcept { return !finished; }
};

// Sends each recipient of a claimed file that is not done yet through the relay, one SMTP
// transaction per recipient, the message read from the file as it goes out, and records
// the progress in the outbox. Recipients that have waited longer than max_age on temporary
// failures are failed for good. Once *stop is set (or the process exits) no further
// recipient is tried; they stay pending.
DeliveryResult deliver(const Outbox& outbox, const smtp::Server& relay, ClaimedEntry entry,
                       std::chrono::seconds max_age, const std::atomic<bool>* stop = nullptr);

struct RetryPolicy {
  std::chrono::milliseconds first_retry{2000};
  std::chrono::milliseconds longest_retry{std::chrono::minutes(5)};
  std::chrono::milliseconds rescan{std::chrono::seconds(5)};
  std::chrono::seconds max_age{std::chrono::hours(24 * 5)};  // as Postfix's maximal_queue_lifetime
};

// The sender's Prometheus series: each recipient's attempt by how it ended, and the files
// waiting in the outbox (counted at each scan, less those the scan finished).
struct OutboxFigures {
  explicit OutboxFigures(sdk::Metrics& metrics);
  sdk::Counter& delivered;
  sdk::Counter& deferred;
  sdk::Counter& failed;
  sdk::Gauge& files;
};

class OutboxSender {
 public:
  OutboxSender(Outbox outbox, smtp::Server relay, RetryPolicy policy, sdk::Logger* logger, OutboxFigures figures);
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  // Something new is queued: scan now.
  void wake() noexcept;

 private:
  struct State;
  static void run(const std::shared_ptr<State>& state) noexcept;
  static void pass(State& state);
  static void log_results(State& state, std::string_view queue_id, const DeliveryResult& result);

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace qmilter::notification_email
