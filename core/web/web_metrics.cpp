#include "core/web/web_metrics.hpp"

#include <string>

#include "core/metrics/metric_registry.hpp"

namespace qmilter::web {
namespace {

std::string action_result(int status) {
  if (status == 200) return "done";
  if (status == 410) return "not_held";
  if (status == 503) return "unavailable";
  return "refused";
}

}  // namespace

void count_request(std::string_view kind, int status) {
  core::process_metrics()
      .counter("qmilter_web_requests_total", "Requests qmilter-web answered, by kind and HTTP status",
               {{"kind", std::string(kind)}, {"status", std::to_string(status)}})
      .add();
}

void count_action(std::string_view action, int status) {
  core::process_metrics()
      .counter("qmilter_web_actions_total", "Recipients' actions, by action and how they ended",
               {{"action", std::string(action)}, {"result", action_result(status)}})
      .add();
}

void count_link_failure(std::string_view kind) {
  core::process_metrics()
      .counter("qmilter_web_link_failures_total", "Links refused, by why", {{"kind", std::string(kind)}})
      .add();
}

}  // namespace qmilter::web
