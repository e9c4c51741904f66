#include "core/admin/quarantine_admin.hpp"

#include <algorithm>
#include <ctime>

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

namespace {

// The store's claims, or the SDK's default ones for a plugin whose vtable predates them
// (calling a virtual it does not have would jump anywhere).
class Claims {
 public:
  explicit Claims(const core::Quarantine& quarantine)
      : store_(*quarantine.store.instance), own_(quarantine.store.abi_minor >= 2) {}

  sdk::Result<sdk::RecipientClaim> claim(const std::string& id, const std::string& recipient) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    return own_ ? store_.claim_recipient(id, recipient, now)
                : store_.sdk::QuarantineStore::claim_recipient(id, recipient, now);
  }
  sdk::Status finish(const sdk::RecipientClaim& claim) {
    return own_ ? store_.finish_claim(claim) : store_.sdk::QuarantineStore::finish_claim(claim);
  }
  sdk::Status abandon(const sdk::RecipientClaim& claim) {
    return own_ ? store_.abandon_claim(claim) : store_.sdk::QuarantineStore::abandon_claim(claim);
  }

 private:
  sdk::QuarantineStore& store_;
  const bool own_;
};

// A claim that is given back unless it was settled: whatever leaves release_to early
// cannot leave the recipient blocked until the claim expires.
class HeldClaim {
 public:
  HeldClaim(Claims& claims, sdk::RecipientClaim claim) : claims_(claims), claim_(std::move(claim)) {}
  ~HeldClaim() {
    if (!settled_) (void)claims_.abandon(claim_);
  }
  HeldClaim(const HeldClaim&) = delete;
  HeldClaim& operator=(const HeldClaim&) = delete;

  sdk::Status finish() {
    settled_ = true;
    return claims_.finish(claim_);
  }
  sdk::Status abandon() {
    settled_ = true;
    return claims_.abandon(claim_);
  }

 private:
  Claims& claims_;
  const sdk::RecipientClaim claim_;
  bool settled_ = false;
};

}  // namespace

ReleaseOutcome release_to(const core::Quarantine& quarantine, const sdk::StoredEntry& entry,
                          const std::string& recipient, std::vector<std::string>& left) {
  smtp::Server server;
  server.host = quarantine.smtp_host;
  server.port = quarantine.smtp_port;
  server.timeout = release_timeout;
  ReleaseOutcome outcome;
  outcome.relay = server.host + ":" + std::to_string(server.port);

  Claims claims(quarantine);
  auto claimed = claims.claim(entry.id, recipient);
  if (!claimed.ok()) {
    outcome.claimed = claimed.error();
    outcome.reply = "not sent: " + claimed.error().message;
    return outcome;
  }
  HeldClaim held(claims, std::move(claimed).value());

  sdk::QuarantineStore& store = *quarantine.store.instance;
  smtp::Outcome sent = smtp::send(server, entry.mailfrom, {recipient},
                                  [&](const sdk::ChunkVisitor& visit) { return store.read(entry.id, visit); });
  outcome.delivered = sent.delivered;
  outcome.reply = std::move(sent.reply);
  if (!outcome.delivered) {
    outcome.abandoned = held.abandon();
    return outcome;
  }
  outcome.removed = held.finish();
  if (!outcome.removed.ok()) return outcome;
  std::erase(left, recipient);
  // An entry emptied here is gone even with a store whose finish_claim() would keep it.
  if (left.empty()) {
    if (sdk::Status removed = store.remove(entry.id); !removed.ok() && !removed.error().not_found()) {
      outcome.removed = removed;
    }
  }
  return outcome;
}

}  // namespace qmilter::admin
