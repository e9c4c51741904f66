// preferred_quarantine_action: which quarantine's action answers when every recipient was
// quarantined, possibly by several quarantines.
#pragma once

namespace qmilter::core {

enum class Preference { first, last };  // first = highest precedence, last = lowest

}  // namespace qmilter::core
