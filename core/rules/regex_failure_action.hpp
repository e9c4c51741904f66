// regex_failure_action: what a quarantine does with a header its regex cannot decide (a
// PCRE2 error, or the message's regex time spent). Never "no match": that would deliver
// the spam the quarantine exists for.
#pragma once

namespace qmilter::core {

enum class RegexFailureAction {
  tempfail,  // the message gets TEMPFAIL; the MTA retries it later
  match,     // the header counts as matching: the quarantine takes the message
};

}  // namespace qmilter::core
