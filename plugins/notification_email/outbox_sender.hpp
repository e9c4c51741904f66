// Delivers what the outbox holds. deliver() sends one claimed notification and settles its
// file (delivered → removed, 5xx → failed/, 4xx or no connection → stays for a retry).
// OutboxSender is the daemon's background thread around it: it scans the outbox at start
// (what a previous run left), whenever notify() wakes it, and every few seconds (files
// another config generation or qmilterctl left), retrying with exponential backoff.
//
// At-least-once window: a notification the relay accepted is removed right after; a crash
// between the relay's "250" and the unlink sends it again after the restart (the relay
// then holds it twice). Nothing else sends a file twice: each send holds the file's flock.
//
// Lifetime: the thread shares only a State object with its owner. The owner's destructor
// asks it to stop, waits briefly for a send in flight and otherwise leaves it to finish on
// its own (it never touches the logger after that): closing the last connection of an old
// configuration must not wait for a slow relay.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/smtp/smtp_client.hpp"
#include "outbox.hpp"
#include "qmilter/sdk/logger.hpp"

namespace qmilter::notification_email {

struct DeliveryResult {
  enum class Kind { delivered, retry, failed } kind = Kind::retry;
  std::string reason;  // the relay's reply or the local error, for logs
};

// Sends one claimed notification through the relay and settles its file. Entries that have
// waited longer than max_age on temporary failures go to failed/ too.
DeliveryResult deliver(const Outbox& outbox, const smtp::Server& relay, ClaimedEntry entry,
                       std::chrono::seconds max_age);

struct RetryPolicy {
  std::chrono::milliseconds first_retry{2000};
  std::chrono::milliseconds longest_retry{std::chrono::minutes(5)};
  std::chrono::milliseconds rescan{std::chrono::seconds(5)};
  std::chrono::seconds max_age{std::chrono::hours(24 * 5)};  // as Postfix's maximal_queue_lifetime
};

class OutboxSender {
 public:
  OutboxSender(Outbox outbox, smtp::Server relay, RetryPolicy policy, sdk::Logger* logger);
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  // Something new is queued: scan now.
  void wake() noexcept;

 private:
  struct State;
  static void run(const std::shared_ptr<State>& state) noexcept;
  static void pass(State& state);

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace qmilter::notification_email
