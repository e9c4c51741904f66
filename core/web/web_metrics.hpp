// qmilter-web's Prometheus series (served on web_metrics_listen): requests by kind and
// status, actions by what was asked and how it ended, links refused by why. No label ever
// holds a token, an address or an entry id.
#pragma once

#include <string_view>

namespace qmilter::web {

// kind: "page" (GET/HEAD of a link), "action" (POST of a link's form), "healthz", "other".
void count_request(std::string_view kind, int status);
// action: release, delete, whitelist; the result is read from the answer's status.
void count_action(std::string_view action, int status);
// kind: "forged" (does not verify), "expired", "unknown_quarantine" (valid, not served here).
void count_link_failure(std::string_view kind);

}  // namespace qmilter::web
