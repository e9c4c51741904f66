#include "core/rules/outcome.hpp"

namespace qmilter::core {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

const char* verdict_name(sdk::Verdict::Kind kind) {
  switch (kind) {
    case sdk::Verdict::Kind::accept: return "accept";
    case sdk::Verdict::Kind::discard: return "discard";
    case sdk::Verdict::Kind::reject: return "reject";
    case sdk::Verdict::Kind::tempfail: return "tempfail";
    case sdk::Verdict::Kind::hold: return "hold";
  }
  return "?";
}

}  // namespace

bool evaluation_needs_body(const Config& config, const Evaluation& evaluation) {
  for (const Assignment& a : evaluation.assigned) {
    if (config.quarantines[a.quarantine].needs_body()) return true;
  }
  return false;
}

sdk::Result<Outcome> carry_out(const Config& config, const Evaluation& evaluation, const sdk::MessageView& message) {
  Outcome outcome;
  std::vector<sdk::Verdict> verdicts;
  for (const Assignment& assignment : evaluation.assigned) {
    const Quarantine& q = config.quarantines[assignment.quarantine];
    auto id = q.store.instance->store(message, assignment.recipients, assignment.match);
    if (!id.ok()) return sdk::Error{"quarantine '" + q.name + "': storing failed: " + id.error().message};
    auto notified = q.notifier.instance->notify(message, assignment.recipients, id.value(), assignment.match);
    if (!notified.ok()) return sdk::Error{"quarantine '" + q.name + "': notifying failed: " + notified.error().message};
    auto verdict = q.action.instance->decide(message);
    if (!verdict.ok()) return sdk::Error{"quarantine '" + q.name + "': action failed: " + verdict.error().message};
    outcome.log_lines.push_back("quarantine '" + q.name + "' took " + join(assignment.recipients) +
                                (id.value().empty() ? std::string() : " as " + id.value()) + ", action " +
                                verdict_name(verdict.value().kind) + " (matched: " + assignment.match.subject.substr(0, 200) + ")");
    verdicts.push_back(std::move(verdict).value());
  }
  outcome.disposition = plan_disposition(evaluation, verdicts, config.preference);
  return outcome;
}

}  // namespace qmilter::core
