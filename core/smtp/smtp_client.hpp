// A small SMTP client on libetpan, for re-injecting released mail (qmilterctl) and for
// sending notifications (the email plugin's outbox). One call = one connection and one
// transaction. Blocking; safe to call from several threads at once (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::smtp {

struct Server {
  std::string host = "127.0.0.1";
  std::int64_t port = 25;
  std::chrono::seconds timeout{30};
  std::string helo_name;  // "" = this host's name
};

// How a transaction ended. `permanent` is set for 5xx replies (do not retry); a connection
// failure or a 4xx reply is temporary.
struct Outcome {
  bool delivered = false;
  bool permanent = false;
  int reply_code = 0;  // last SMTP reply code, 0 when no reply was read
  std::string reply;   // the server's text or the connection error, for logs and CLI output
  // Per recipient, for multi-recipient transactions: the recipients the server refused.
  std::vector<std::string> refused_recipients;
};

// Produces the message bytes (headers, empty line, body; LF or CRLF line ends) in chunks.
using MessageSource = std::function<sdk::Status(const sdk::ChunkVisitor&)>;

// Sends one message: EHLO (HELO fallback), STARTTLS when offered, MAIL FROM, RCPT TO for
// each recipient, DATA with lines normalised to CRLF and dot-stuffed. Delivered when the
// server accepted DATA for at least one recipient; refused ones are listed. Never throws.
Outcome send(const Server& server, std::string_view envelope_from, const std::vector<std::string>& recipients,
             const MessageSource& message) noexcept;

}  // namespace qmilter::smtp
