#include "core/dispatch/outcome.hpp"

#include <chrono>
#include <optional>

#include "core/log/log_sink.hpp"
#include "qmilter/sdk/entry_id.hpp"

namespace qmilter::core {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Why the id store() returned cannot name an entry, or nullopt when it can. "" means that
// nothing was kept, which only a store that keeps no messages may say.
std::optional<std::string> unusable_id(const sdk::QuarantineStore& store, const std::string& id) {
  if (id.empty()) {
    if (store.keeps_messages()) return "the store keeps messages but returned an empty id";
    return std::nullopt;
  }
  return sdk::entry_id_problem(id);
}

// An id for a log line: a bad id may be long or hold control characters.
std::string loggable(const std::string& id) {
  std::string shown;
  for (char c : id.substr(0, 80)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  return id.size() > 80 ? shown + "..." : shown;
}

}  // namespace

bool evaluation_needs_body(const Config& config, const Evaluation& evaluation) {
  for (const Assignment& a : evaluation.assigned) {
    if (config.quarantines[a.quarantine].needs_body()) return true;
  }
  return false;
}

namespace {

// Entries this attempt stored, removed again when a later step fails: the MTA retries the
// whole message, and each retry would otherwise leave another copy behind.
class StoredThisAttempt {
 public:
  void add(const Quarantine& q, std::string id) {
    if (!id.empty()) stored_.emplace_back(&q, std::move(id));
  }
  void roll_back(const sdk::MessageView& message) {
    for (auto& [q, id] : stored_) {
      if (auto removed = q->store.instance->remove(id); !removed.ok()) {
        log::warning(message.queue_id(), "quarantine '" + q->name + "': could not remove " + id +
                                             " after the failure: " + removed.error().message);
      }
    }
  }

 private:
  std::vector<std::pair<const Quarantine*, std::string>> stored_;
};

}  // namespace

StepResult<Outcome> carry_out(const Config& config, const Evaluation& evaluation, const sdk::MessageView& message) {
  Outcome outcome;
  std::vector<sdk::Verdict> verdicts;
  StoredThisAttempt stored;
  auto fail = [&](const Quarantine& q, FailedStep step, const sdk::Error& error) -> StepResult<Outcome> {
    stored.roll_back(message);
    const char* doing = step == FailedStep::store ? "storing" : step == FailedStep::notify ? "notifying" : "action";
    return {step, sdk::Error{"quarantine '" + q.name + "': " + doing + " failed: " + error.message}};
  };
  for (const Assignment& assignment : evaluation.assigned) {
    const Quarantine& q = config.quarantines[assignment.quarantine];
    const auto started = std::chrono::steady_clock::now();
    auto id = q.store.instance->store(message, assignment.recipients, assignment.match);
    if (q.metrics.store_seconds) {
      q.metrics.store_seconds->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (!id.ok()) return fail(q, FailedStep::store, id.error());
    // An id qmilterctl cannot name would reach the recipients and the admin: a store failure.
    if (auto problem = unusable_id(*q.store.instance, id.value())) {
      return fail(q, FailedStep::store,
                  sdk::Error{"quarantine_type '" + q.store.type + "' (plugin '" + q.store.plugin_name +
                             "') returned the unusable id '" + loggable(id.value()) + "': " + *problem});
    }
    stored.add(q, id.value());
    auto notified = q.notifier.instance->notify(message, assignment.recipients, id.value(), assignment.match);
    if (!notified.ok()) return fail(q, FailedStep::notify, notified.error());
    auto verdict = q.action.instance->decide(message, id.value());
    if (!verdict.ok()) return fail(q, FailedStep::action, verdict.error());
    outcome.log_lines.push_back("quarantine '" + q.name + "' took " + join(assignment.recipients) +
                                (id.value().empty() ? std::string() : " as " + id.value()) + ", action " +
                                verdict_name(verdict.value().kind) + " (matched: " + assignment.match.subject.substr(0, 200) + ")");
    verdicts.push_back(std::move(verdict).value());
  }
  outcome.disposition = plan_disposition(evaluation, verdicts, config.preference);
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    const QuarantineSeries& series = config.quarantines[evaluation.assigned[i].quarantine].metrics;
    if (series.quarantined[0]) series.quarantined_as(verdicts[i].kind).add();
  }
  return outcome;
}

}  // namespace qmilter::core
