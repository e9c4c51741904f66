#include "core/rules/evaluation.hpp"

#include <algorithm>
#include <set>

namespace qmilter::core {
namespace {

using Clock = std::chrono::steady_clock;

// The header's name for a log line: what precedes the colon, cut to a readable length.
std::string header_name(const std::string& subject) {
  std::string name = subject.substr(0, std::min(subject.find(':'), std::size_t{64}));
  std::replace_if(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }, '?');
  return name;
}

// The first header the rule's regex matches. A header it cannot decide is an Error, or
// (RegexFailureAction::match) a match without groups plus a warning.
sdk::Result<std::optional<sdk::Match>> first_match(const Rule& rule, const std::vector<std::string>& subjects,
                                                   Clock::time_point deadline, std::chrono::milliseconds limit,
                                                   std::vector<std::string>& warnings) {
  auto time_spent = [&] { return "the message's regex time limit (" + std::to_string(limit.count()) + " ms) is spent"; };
  for (const std::string& subject : subjects) {
    std::string failure;  // built only off the clean path
    sdk::Result<RegexSearch> searched = RegexSearch{};
    if (Clock::now() > deadline) {
      failure = time_spent();
    } else if (searched = rule.regex->search(subject, deadline); !searched.ok()) {
      failure = Clock::now() > deadline ? time_spent() : searched.error().message;
    }
    auto where = [&] { return "quarantine '" + *rule.name + "': regex on header '" + header_name(subject) + "'"; };
    if (!failure.empty()) {
      if (rule.on_regex_failure == RegexFailureAction::tempfail) {
        return sdk::Error{where() + " could not be decided: " + failure};
      }
      warnings.push_back(where() + " could not be decided (" + failure + "); taken as a match");
      return std::optional<sdk::Match>(rule.regex->match_without_groups(subject));
    }
    if (!searched.value().match) continue;
    if (searched.value().by_dfa) {
      warnings.push_back(where() + " matched only by the DFA matcher (backtracking outgrew its limits); "
                         "its groups are empty");
    }
    return std::move(searched.value().match);
  }
  return std::optional<sdk::Match>();
}

}  // namespace

StepResult<Evaluation> evaluate(const std::vector<Rule>& rules, const std::vector<std::string>& subjects,
                                 std::string_view sender, const std::vector<std::string>& recipients,
                                 std::chrono::milliseconds regex_time_limit) {
  Evaluation result;
  std::vector<bool> taken(recipients.size(), false);
  std::size_t open = recipients.size();
  const Clock::time_point deadline = Clock::now() + regex_time_limit;

  for (const Rule& rule : rules) {
    if (open == 0) break;
    auto match = first_match(rule, subjects, deadline, regex_time_limit, result.warnings);
    if (!match.ok()) return {FailedStep::regex, match.error()};
    if (!match.value()) continue;

    std::vector<std::string> candidates;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      if (!taken[i]) candidates.push_back(recipients[i]);
    }
    const Clock::time_point asked = Clock::now();
    auto whitelisted = rule.whitelist->whitelisted(sender, candidates);
    if (rule.whitelist_lookup_seconds) {
      rule.whitelist_lookup_seconds->observe(std::chrono::duration<double>(Clock::now() - asked).count());
    }
    if (!whitelisted.ok()) {
      return {FailedStep::whitelist,
              sdk::Error{"whitelist of quarantine '" + *rule.name + "' failed: " + whitelisted.error().message}};
    }
    Assignment assignment{rule.index, std::move(*match.value()), {}};
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      if (taken[i]) continue;
      if (whitelisted.value().count(recipients[i]) != 0) {
        if (rule.whitelisted) rule.whitelisted->add();
        continue;
      }
      taken[i] = true;
      --open;
      assignment.recipients.push_back(recipients[i]);
    }
    if (!assignment.recipients.empty()) result.assigned.push_back(std::move(assignment));
  }
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (!taken[i]) result.unassigned.push_back(recipients[i]);
  }
  return result;
}

}  // namespace qmilter::core
