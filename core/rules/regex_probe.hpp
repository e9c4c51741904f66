// A check `qmilter -t` runs on each quarantine regex: searches a few synthetic headers built
// to provoke catastrophic backtracking (long folded reports, runs of one letter, words) and
// says which one made backtracking give up. Such a pattern still works — the DFA matcher or
// the failure policy takes over — but it costs CPU on every long header and may TEMPFAIL.
#pragma once

#include <optional>
#include <string>

#include "core/rules/regex.hpp"

namespace qmilter::core {

// The description of the first probe header on which backtracking outgrew the regex's
// limits, or nullopt when it finished on every one.
std::optional<std::string> catastrophic_backtracking(const Regex& regex);

}  // namespace qmilter::core
