#include "outbox_sender.hpp"

#include <algorithm>
#include <ctime>

#include "commit_window.hpp"

namespace qmilter::notification_email {

namespace {

sdk::Counter& notifications(sdk::Metrics& metrics, const char* result) {
  return metrics.counter("qmilter_notifications_total",
                         "Notification attempts per recipient, by how they ended (deferred ones are tried again)",
                         {{"result", result}});
}

}  // namespace

OutboxFigures::OutboxFigures(sdk::Metrics& metrics)
    : delivered(notifications(metrics, "delivered")),
      deferred(notifications(metrics, "deferred")),
      failed(notifications(metrics, "failed")),
      files(metrics.gauge("qmilter_outbox_files", "Notification files waiting in the outbox")) {}

struct OutboxSender::State {
  State(Outbox box, smtp::Server server, RetryPolicy retry, sdk::Logger* log, OutboxFigures counted)
      : outbox(std::move(box)), relay(std::move(server)), policy(retry), figures(counted), logger(log) {}

  struct Backoff {
    int attempts = 0;
    std::chrono::steady_clock::time_point next;
  };

  const Outbox outbox;
  const smtp::Server relay;
  const RetryPolicy policy;
  const OutboxFigures figures;

  std::atomic<bool> stopping{false};  // set with stop; read by deliver() between recipients

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

DeliveryResult deliver(const Outbox& outbox, const smtp::Server& relay, ClaimedEntry entry, std::chrono::seconds max_age,
                       const std::atomic<bool>* stop) {
  DeliveryResult result;
  const auto age = std::time(nullptr) - entry.envelope().created;
  const bool expired = entry.envelope().created > 0 && age > max_age.count();
  bool all_done = true;
  for (std::size_t i = 0; i < entry.recipients().size(); ++i) {
    const ClaimedEntry::Recipient& recipient = entry.recipients()[i];
    if (recipient.done) continue;
    // Asked to stop: the rest stays pending for whoever runs next (a newer generation, the
    // next start) rather than going out from a thread nobody waits for.
    if ((stop != nullptr && stop->load()) || process_exiting()) {
      all_done = false;
      break;
    }
    CommitTicket ticket;
    const smtp::Outcome outcome = smtp::send(relay, entry.envelope().envelope_from, {recipient.address},
                                             [&](const sdk::ChunkVisitor& visit) -> sdk::Status {
                                               // Past this point the relay may get the end of
                                               // data: exit waits until the marker is written,
                                               // for the body and the reply (each bounded by
                                               // the timeout) counted from here, not connect.
                                               const auto deadline = std::chrono::steady_clock::now() +
                                                                     2 * relay.timeout + std::chrono::seconds(5);
                                               if (!ticket.enter(deadline)) return sdk::Error{"qmilter is stopping"};
                                               return entry.read_message(recipient, visit);
                                             });
    const std::string code = outcome.reply_code != 0 ? std::to_string(outcome.reply_code) : std::string();
    std::string reply = code.empty() || outcome.reply.rfind(code, 0) == 0 ? outcome.reply : code + " " + outcome.reply;
    if (reply.empty()) reply = "no reply from the relay";
    RecipientResult done{RecipientResult::Kind::delivered, recipient.address, reply};
    if (outcome.delivered && outcome.refused_recipients.empty()) {
      if (auto marked = outbox.mark_delivered(entry, i); !marked) {
        // Delivered, but the progress is not recorded: it will be sent again. Say so.
        done.reason += "; but " + marked.error().message + " (it will be sent again)";
        all_done = false;
      }
    } else if (outcome.permanent || expired) {
      done.kind = RecipientResult::Kind::failed;
      done.reason = outcome.permanent ? "refused by " + relay.host + ":" + std::to_string(relay.port) + ": " + reply
                                      : "gave up after " + std::to_string(age) + " s; last reply: " + reply;
      if (auto marked = outbox.mark_failed(entry, i, done.reason); !marked) {
        done.kind = RecipientResult::Kind::retry;
        done.reason += "; and " + marked.error().message;
        all_done = false;
      }
    } else {
      done.kind = RecipientResult::Kind::retry;
      all_done = false;
    }
    result.recipients.push_back(std::move(done));
  }
  if (all_done) {
    const std::string name = entry.name();
    if (auto removed = outbox.remove(std::move(entry)); !removed) {
      result.recipients.push_back({RecipientResult::Kind::retry, "", "cannot remove " + name + ": " + removed.error().message});
    } else {
      result.finished = true;
    }
  }
  return result;
}

OutboxSender::OutboxSender(Outbox outbox, smtp::Server relay, RetryPolicy policy, sdk::Logger* logger,
                           OutboxFigures figures)
    : state_(std::make_shared<State>(std::move(outbox), std::move(relay), policy, logger, figures)) {
  wait_for_commits_at_exit();
  state_->outbox.remove_leftovers(3600);
  thread_ = std::thread([state = state_] { run(state); });
}

OutboxSender::~OutboxSender() {
  state_->stopping = true;
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
  state.figures.files.set(static_cast<double>(names.value().size()));
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
      if (state.stop || process_exiting()) return;
      if (auto it = state.backoff.find(name); it != state.backoff.end() && it->second.next > now) continue;
    }
    auto claimed = state.outbox.claim(name);
    if (!claimed) {
      state.log(sdk::LogLevel::error, {}, "notification " + claimed.error().message);
      continue;
    }
    if (!claimed.value().has_value()) continue;  // another sender has it, or it is gone
    const std::string queue_id = claimed.value()->envelope().queue_id;
    const DeliveryResult result =
        deliver(state.outbox, state.relay, std::move(*claimed.value()), state.policy.max_age, &state.stopping);
    log_results(state, queue_id, result);
    std::lock_guard lock(state.mutex);
    if (result.finished) {
      state.figures.files.add(-1);
      state.backoff.erase(name);
    } else {
      State::Backoff& backoff = state.backoff[name];
      const std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
          state.policy.longest_retry, state.policy.first_retry * (std::int64_t{1} << std::min(backoff.attempts, 20)));
      ++backoff.attempts;
      backoff.next = std::chrono::steady_clock::now() + delay;
      state.log(sdk::LogLevel::info, queue_id,
                "notification " + name + ": attempt " + std::to_string(backoff.attempts) + " incomplete, next in " +
                    std::to_string(delay.count() / 1000) + " s");
    }
  }
}

void OutboxSender::log_results(State& state, std::string_view queue_id, const DeliveryResult& result) {
  for (const RecipientResult& r : result.recipients) {
    switch (r.kind) {
      case RecipientResult::Kind::delivered:
        state.figures.delivered.add();
        state.log(sdk::LogLevel::info, queue_id, "notification to <" + r.recipient + "> delivered: " + r.reason);
        break;
      case RecipientResult::Kind::failed:
        state.figures.failed.add();
        state.log(sdk::LogLevel::error, queue_id,
                  "notification to <" + r.recipient + "> failed for good (kept in failed/): " + r.reason);
        break;
      case RecipientResult::Kind::retry:
        if (!r.recipient.empty()) state.figures.deferred.add();  // empty: the file, not a recipient
        state.log(sdk::LogLevel::warning, queue_id, "notification to <" + r.recipient + "> deferred: " + r.reason);
        break;
    }
  }
}

}  // namespace qmilter::notification_email
