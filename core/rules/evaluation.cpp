#include "core/rules/evaluation.hpp"

#include <algorithm>
#include <set>

namespace qmilter::core {

sdk::Result<Evaluation> evaluate(const std::vector<Rule>& rules, const std::vector<std::string>& subjects,
                                 std::string_view sender, const std::vector<std::string>& recipients) {
  Evaluation result;
  std::vector<bool> taken(recipients.size(), false);
  std::size_t open = recipients.size();

  for (const Rule& rule : rules) {
    if (open == 0) break;
    std::optional<sdk::Match> match;
    for (const std::string& subject : subjects) {
      if (rule.regex->search(subject)) {
        match = rule.regex->match(subject);
        break;
      }
    }
    if (!match) continue;

    std::vector<std::string> candidates;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      if (!taken[i]) candidates.push_back(recipients[i]);
    }
    auto whitelisted = rule.whitelist->whitelisted(sender, candidates);
    if (!whitelisted.ok()) {
      return sdk::Error{"whitelist of quarantine '" + *rule.name + "' failed: " + whitelisted.error().message};
    }
    Assignment assignment{rule.index, std::move(*match), {}};
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      if (taken[i] || whitelisted.value().count(recipients[i]) != 0) continue;
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
