#include "outbox_sender.hpp"

#include <algorithm>
#include <ctime>

namespace qmilter::notification_email {

struct OutboxSender::State {
  State(Outbox box, smtp::Server server, RetryPolicy retry, sdk::Logger* log)
      : outbox(std::move(box)), relay(std::move(server)), policy(retry), logger(log) {}

  struct Backoff {
    int attempts = 0;
    std::chrono::steady_clock::time_point next;
  };

  const Outbox outbox;
  const smtp::Server relay;
  const RetryPolicy policy;

  std::mutex mutex;  // guards everything below
  std::condition_variable changed;
  bool stop = false;
  bool woken = true;  // scan at start: what a previous run left behind
  bool finished = false;
  std::map<std::string, Backoff> backoff;  // by file name; only this sender's view

  std::mutex log_mutex;            // guards logger
  sdk::Logger* logger = nullptr;   // null once the owner is gone

  void log(sdk::LogLevel level, std::string_view queue_id, const std::string& text) noexcept {
    std::lock_guard lock(log_mutex);
    if (logger != nullptr) logger->log(level, queue_id, text);
  }
};

DeliveryResult deliver(const Outbox& outbox, const smtp::Server& relay, ClaimedEntry entry, std::chrono::seconds max_age) {
  const std::string& message = entry.message();
  const smtp::Outcome outcome = smtp::send(relay, entry.envelope().envelope_from, {entry.envelope().recipient},
                                           [&message](const sdk::ChunkVisitor& visit) -> sdk::Status {
                                             visit(message);
                                             return {};
                                           });
  const std::string code = outcome.reply_code != 0 ? std::to_string(outcome.reply_code) : std::string();
  const std::string reply = code.empty() || outcome.reply.rfind(code, 0) == 0 ? outcome.reply : code + " " + outcome.reply;
  if (outcome.delivered && outcome.refused_recipients.empty()) {
    if (auto removed = outbox.remove(std::move(entry)); !removed) {
      // Delivered but still queued: it will be sent again. Say so loudly.
      return {DeliveryResult::Kind::delivered, "delivered, but " + removed.error().message + " (it will be sent again)"};
    }
    return {DeliveryResult::Kind::delivered, reply};
  }
  const auto age = std::time(nullptr) - entry.envelope().created;
  const bool expired = entry.envelope().created > 0 && age > max_age.count();
  if (outcome.permanent || expired) {
    const std::string reason = outcome.permanent ? "refused by " + relay.host + ":" + std::to_string(relay.port) + ": " + reply
                                                 : "gave up after " + std::to_string(age) + " s; last reply: " + reply;
    if (auto failed = outbox.fail(std::move(entry), reason); !failed) {
      return {DeliveryResult::Kind::retry, reason + "; and " + failed.error().message};
    }
    return {DeliveryResult::Kind::failed, reason};
  }
  return {DeliveryResult::Kind::retry, reply.empty() ? "no reply from the relay" : reply};
}

OutboxSender::OutboxSender(Outbox outbox, smtp::Server relay, RetryPolicy policy, sdk::Logger* logger)
    : state_(std::make_shared<State>(std::move(outbox), std::move(relay), policy, logger)) {
  state_->outbox.remove_stale_temp_files(3600);
  thread_ = std::thread([state = state_] { run(state); });
}

OutboxSender::~OutboxSender() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
  }
  state_->changed.notify_all();
  bool finished = false;
  {
    std::unique_lock lock(state_->mutex);
    finished = state_->changed.wait_for(lock, std::chrono::seconds(2), [this] { return state_->finished; });
  }
  {
    std::lock_guard lock(state_->log_mutex);
    state_->logger = nullptr;
  }
  if (finished) {
    thread_.join();
  } else {
    thread_.detach();  // a send is in flight; it settles its file and ends by itself
  }
}

void OutboxSender::wake() noexcept {
  {
    std::lock_guard lock(state_->mutex);
    state_->woken = true;
  }
  state_->changed.notify_all();
}

void OutboxSender::run(const std::shared_ptr<State>& state) noexcept {
  for (;;) {
    {
      std::unique_lock lock(state->mutex);
      auto wake_at = std::chrono::steady_clock::now() + state->policy.rescan;
      for (const auto& [name, backoff] : state->backoff) wake_at = std::min(wake_at, backoff.next);
      state->changed.wait_until(lock, wake_at, [&] { return state->stop || state->woken; });
      if (state->stop) break;
      state->woken = false;
    }
    try {
      pass(*state);
    } catch (const std::exception& e) {
      state->log(sdk::LogLevel::error, {}, std::string("notification outbox: ") + e.what());
    } catch (...) {
      state->log(sdk::LogLevel::error, {}, "notification outbox: unknown error");
    }
  }
  std::lock_guard lock(state->mutex);
  state->finished = true;
  state->changed.notify_all();
}

// One scan: try every file that is not waiting for its backoff.
void OutboxSender::pass(State& state) {
  auto names = state.outbox.pending();
  if (!names) {
    state.log(sdk::LogLevel::error, {}, "notification " + names.error().message);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, State::Backoff> waiting;
  {
    std::lock_guard lock(state.mutex);
    // Forget files that are gone (delivered by another sender, removed by the admin).
    for (const std::string& name : names.value()) {
      if (auto it = state.backoff.find(name); it != state.backoff.end()) waiting.insert(*it);
    }
    state.backoff = waiting;
  }
  for (const std::string& name : names.value()) {
    {
      std::lock_guard lock(state.mutex);
      if (state.stop) return;
      if (auto it = state.backoff.find(name); it != state.backoff.end() && it->second.next > now) continue;
    }
    auto claimed = state.outbox.claim(name);
    if (!claimed) {
      state.log(sdk::LogLevel::error, {}, "notification " + claimed.error().message);
      continue;
    }
    if (!claimed.value().has_value()) continue;  // another sender has it, or it is gone
    const std::string queue_id = claimed.value()->envelope().queue_id;
    const std::string recipient = claimed.value()->envelope().recipient;
    const DeliveryResult result = deliver(state.outbox, state.relay, std::move(*claimed.value()), state.policy.max_age);
    std::lock_guard lock(state.mutex);
    switch (result.kind) {
      case DeliveryResult::Kind::delivered:
        state.backoff.erase(name);
        state.log(sdk::LogLevel::info, queue_id, "notification to <" + recipient + "> delivered: " + result.reason);
        break;
      case DeliveryResult::Kind::failed:
        state.backoff.erase(name);
        state.log(sdk::LogLevel::error, queue_id,
                  "notification to <" + recipient + "> failed for good, moved to failed/" + name + ": " + result.reason);
        break;
      case DeliveryResult::Kind::retry: {
        State::Backoff& backoff = state.backoff[name];
        const std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
            state.policy.longest_retry, state.policy.first_retry * (std::int64_t{1} << std::min(backoff.attempts, 20)));
        ++backoff.attempts;
        backoff.next = std::chrono::steady_clock::now() + delay;
        state.log(sdk::LogLevel::warning, queue_id,
                  "notification to <" + recipient + "> deferred (attempt " + std::to_string(backoff.attempts) +
                      ", next in " + std::to_string(delay.count() / 1000) + " s): " + result.reason);
        break;
      }
    }
  }
}

}  // namespace qmilter::notification_email
