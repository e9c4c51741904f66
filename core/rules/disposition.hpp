// What happens to the message once the quarantines have their
// recipients. A quarantine whose action accepts keeps a copy but leaves its recipients in
// the delivery (pyquarantine removed them and then accepted a message with no recipients).
// If some recipient is still to receive the message, the others are removed and the
// message accepted; if none is, the preferred quarantine's verdict applies to the message.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/rules/evaluation.hpp"
#include "core/rules/preference.hpp"
#include "qmilter/sdk/action.hpp"

namespace qmilter::core {



struct Disposition {
  std::vector<std::string> remove;  // recipients to take out of the message (smfi_delrcpt)
  sdk::Verdict verdict;             // accept, or the preferred quarantine's verdict
  std::optional<std::size_t> deciding_quarantine;  // Rule::index whose action decided, if any
  // When the message is delivered: the edits of the tag verdicts of its quarantines, in
  // precedence order (headers of each; the Subject prefix of the first that has one).
  std::vector<sdk::Header> add_headers;
  std::string subject_prefix;

  bool edits_message() const noexcept { return !add_headers.empty() || !subject_prefix.empty(); }
};

// verdicts[i] is the action verdict of evaluation.assigned[i].
Disposition plan_disposition(const Evaluation& evaluation, const std::vector<sdk::Verdict>& verdicts,
                             Preference preference);

}  // namespace qmilter::core
