// Per-connection state, attached to libmilter's SMFICTX with smfi_setpriv. It pins the
// configuration generation the connection started with, so a reload never changes a
// running message. libmilter calls one connection's callbacks one after another.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/milter/message_context.hpp"
#include "core/rules/evaluation.hpp"

namespace qmilter::core {

struct ConnectionContext {
  std::shared_ptr<const Config> config;   // this connection's generation
  unsigned long protocol_flags = 0;       // what was negotiated (SMFIP_*)
  std::string client_address;             // "" for local or unknown clients
  std::vector<Rule> rules;                // the quarantines active for this client
  std::unique_ptr<MessageContext> message;  // the message in progress, if any
  std::string failure;                    // error before a message existed (e.g. connect)
};

}  // namespace qmilter::core
