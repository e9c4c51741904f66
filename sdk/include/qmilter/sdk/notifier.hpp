// Notification: tells quarantined recipients about their message. One instance per
// quarantine section, shared by all connections and called concurrently. notify() must not
// wait on the network: hand the notification to durable storage (an outbox) and return; an
// Error from notify() makes the host answer TEMPFAIL so the MTA keeps the mail.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/abi.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::sdk {

class Notifier {
 public:
  static constexpr PluginKind plugin_kind = PluginKind::notification;
  virtual ~Notifier() = default;

  // Whether notify() does anything; when false the host need not buffer the body for it.
  virtual bool sends_notifications() const = 0;

  // quarantine_id is the store's id for the message, "" when the store keeps nothing.
  virtual Status notify(const MessageView& message, const std::vector<std::string>& recipients,
                        std::string_view quarantine_id, const Match& match) = 0;
};

}  // namespace qmilter::sdk
