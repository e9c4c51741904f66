// Which quarantine each recipient of a message falls into. Headers are
// tested as "Name: value" against each active quarantine's regex in precedence order; on a
// match the quarantine's whitelist is asked once for the recipients not yet assigned, and
// the others are assigned to it. Pure logic over the inputs; no libmilter.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/rules/regex.hpp"
#include "core/rules/regex_failure_action.hpp"
#include "core/rules/step_result.hpp"
#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/metrics.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/whitelist.hpp"

namespace qmilter::core {

// One active quarantine as the evaluation sees it.
struct Rule {
  std::size_t index = 0;  // precedence: lower is higher
  const std::string* name = nullptr;
  const Regex* regex = nullptr;
  sdk::Whitelist* whitelist = nullptr;
  RegexFailureAction on_regex_failure = RegexFailureAction::tempfail;
  // Where the whitelist's lookups are timed and its whitelisted recipients counted; null: not.
  sdk::Histogram* whitelist_lookup_seconds = nullptr;
  sdk::Counter* whitelisted = nullptr;
};

// The recipients one quarantine took, with the match that made it take them.
struct Assignment {
  std::size_t quarantine = 0;  // Rule::index
  sdk::Match match;
  std::vector<std::string> recipients;
};

struct Evaluation {
  std::vector<Assignment> assigned;     // in precedence order; never with empty recipients
  std::vector<std::string> unassigned;  // never matched, or whitelisted everywhere they matched
  std::vector<std::string> warnings;    // headers a regex could not fully decide, for the log
};

// subjects: each header as "Name: value", in received order. regex_time_limit bounds the
// time all regexes together may spend on the message. A whitelist failure, or a regex
// failure under RegexFailureAction::tempfail, is an Error naming the quarantine (and the
// header) and the step; the caller answers TEMPFAIL.
StepResult<Evaluation> evaluate(const std::vector<Rule>& rules, const std::vector<std::string>& subjects,
                                 std::string_view sender, const std::vector<std::string>& recipients,
                                 std::chrono::milliseconds regex_time_limit);

}  // namespace qmilter::core
