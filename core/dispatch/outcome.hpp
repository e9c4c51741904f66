// Carries out what the evaluation decided: for each quarantine that took
// recipients, in precedence order, store the message, notify those recipients with the
// store's id, and ask its action; then plan which recipients leave the message and which
// verdict the MTA gets. Any plugin error stops here as an Error (the caller answers
// TEMPFAIL) after removing the entries this attempt stored, so retries leave no copies; so
// does a store id that fails sdk::entry_id_problem(), before anyone is notified with it.
// Each store call is timed into its quarantine's histogram; each quarantine that took the
// message is counted, by its action's verdict, once the whole message succeeded.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/rules/disposition.hpp"
#include "core/rules/evaluation.hpp"
#include "core/rules/step_result.hpp"
#include "qmilter/sdk/message.hpp"

namespace qmilter::core {

struct Outcome {
  Disposition disposition;
  std::vector<std::string> log_lines;  // one per quarantine that took recipients
};

StepResult<Outcome> carry_out(const Config& config, const Evaluation& evaluation, const sdk::MessageView& message);

// Whether any quarantine of the evaluation needs the body (it stores or notifies).
bool evaluation_needs_body(const Config& config, const Evaluation& evaluation);

}  // namespace qmilter::core
