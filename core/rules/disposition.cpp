#include "core/rules/disposition.hpp"

#include "core/rules/preference.hpp"

namespace qmilter::core {

Disposition plan_disposition(const Evaluation& evaluation, const std::vector<sdk::Verdict>& verdicts,
                             Preference preference) {
  Disposition disposition;
  disposition.verdict = sdk::Verdict::accept();
  bool someone_receives = !evaluation.unassigned.empty();
  std::vector<std::size_t> deciding_candidates;  // positions in assigned with a non-accept verdict
  for (std::size_t i = 0; i < evaluation.assigned.size(); ++i) {
    if (verdicts[i].kind == sdk::Verdict::Kind::accept) {
      someone_receives = true;
      const sdk::Verdict& tag = verdicts[i];
      disposition.add_headers.insert(disposition.add_headers.end(), tag.add_headers.begin(), tag.add_headers.end());
      if (disposition.subject_prefix.empty()) disposition.subject_prefix = tag.subject_prefix;
      continue;
    }
    deciding_candidates.push_back(i);
    for (const std::string& recipient : evaluation.assigned[i].recipients) disposition.remove.push_back(recipient);
  }
  if (someone_receives || deciding_candidates.empty()) return disposition;

  // Nobody receives the message: the preferred quarantine's action answers for all of it.
  std::size_t chosen = preference == Preference::first ? deciding_candidates.front() : deciding_candidates.back();
  disposition.verdict = verdicts[chosen];
  disposition.deciding_quarantine = evaluation.assigned[chosen].quarantine;
  disposition.remove.clear();  // the whole message takes the verdict; nothing to remove
  disposition.add_headers.clear();  // and nobody receives an edited copy
  disposition.subject_prefix.clear();
  return disposition;
}

}  // namespace qmilter::core
