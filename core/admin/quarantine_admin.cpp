#include "core/admin/quarantine_admin.hpp"

#include <algorithm>

#include "core/smtp/smtp_client.hpp"
#include "qmilter/sdk/entry_id.hpp"

namespace qmilter::admin {

sdk::Result<sdk::StoredEntry> load_entry(const core::Quarantine& quarantine, const std::string& id) {
  if (auto problem = sdk::entry_id_problem(id)) return sdk::Error{"invalid quarantine id '" + id + "': " + *problem};
  auto entry = quarantine.store.instance->entry(id);
  if (!entry.ok()) return sdk::Error{"quarantine '" + quarantine.name + "': " + entry.error().message, entry.error().kind};
  return entry;
}

sdk::Status take_recipient(const core::Quarantine& quarantine, const std::string& id, const std::string& recipient,
                           std::vector<std::string>& left) {
  std::erase(left, recipient);
  sdk::QuarantineStore& store = *quarantine.store.instance;
  return left.empty() ? store.remove(id) : store.remove_recipient(id, recipient);
}

ReleaseOutcome release_to(const core::Quarantine& quarantine, const sdk::StoredEntry& entry,
                          const std::string& recipient, std::vector<std::string>& left) {
  smtp::Server server;
  server.host = quarantine.smtp_host;
  server.port = quarantine.smtp_port;
  server.timeout = release_timeout;
  const sdk::QuarantineStore& store = *quarantine.store.instance;
  smtp::Outcome sent = smtp::send(server, entry.mailfrom, {recipient},
                                  [&](const sdk::ChunkVisitor& visit) { return store.read(entry.id, visit); });
  ReleaseOutcome outcome;
  outcome.delivered = sent.delivered;
  outcome.relay = server.host + ":" + std::to_string(server.port);
  outcome.reply = std::move(sent.reply);
  if (outcome.delivered) outcome.removed = take_recipient(quarantine, entry.id, recipient, left);
  return outcome;
}

}  // namespace qmilter::admin
