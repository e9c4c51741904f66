#include "core/dispatch/active_rules.hpp"

namespace qmilter::core {

std::vector<Rule> rules_for_client(const Config& config, std::string_view client_address) {
  std::vector<Rule> rules;
  rules.reserve(config.quarantines.size());
  for (const Quarantine& q : config.quarantines) {
    if (!client_address.empty() && q.ignore_hosts.contains(client_address)) continue;
    rules.push_back(Rule{q.index, &q.name, &q.regex, q.whitelist.instance.get(), q.on_regex_failure,
                         q.metrics.whitelist_lookup_seconds, q.metrics.whitelisted});
  }
  return rules;
}

}  // namespace qmilter::core
