// One message over one milter connection, played as Postfix's smtpd plays it:
// OPTNEG, CONNECT, HELO, MAIL, RCPT..., DATA, HEADER..., EOH, BODY..., EOM, QUIT.
// It honours what the filter negotiated (steps left out, replies not awaited) and stops
// sending as soon as the filter answers with a verdict. SessionPlan is built once and
// shared read-only by every worker thread; run_session is called concurrently.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/eml_message.hpp"
#include "loadgen/milter_protocol.hpp"
#include "loadgen/milter_socket.hpp"

namespace qmilter::bench {

// Protocol steps, in the order an MTA sends them.
enum class Stage { optneg, connect, helo, mail, rcpt, data, header, eoh, body, eom, count_ };
const char* stage_name(Stage stage);
std::optional<Stage> stage_from_name(const std::string& name);

// How a message ended for the MTA.
enum class Verdict { accept, discard, reject, tempfail, conn_fail, shutdown, error, count_ };
const char* verdict_name(Verdict verdict);
std::optional<Verdict> verdict_from_name(const std::string& name);

// Replies counted on the way: modification actions at end of message and a few others.
enum class Action {
  addrcpt, addrcpt_par, delrcpt, replbody, chgfrom, addheader, insheader, chgheader,
  quarantine, progress, skip, rcpt_rejected, count_
};
const char* action_name(Action action);
using ActionCounts = std::array<std::uint64_t, static_cast<std::size_t>(Action::count_)>;

// Everything the sessions send; immutable once built.
struct SessionPlan {
  Endpoint endpoint;
  std::chrono::milliseconds timeout{30000};
  // SMFIC_CONNECT
  std::string client_name = "client.bench.example";
  std::string client_address = "192.0.2.10";
  std::uint16_t client_port = 40000;
  std::string helo = "client.bench.example";
  std::string sender = "<bob@client.bench.example>";   // as typed, with the angle brackets
  std::vector<std::string> mail_args;                  // ESMTP arguments, e.g. SIZE=1234
  std::vector<std::string> recipients{"<alice@bench.example>"};
  EmlMessage message = EmlMessage::builtin();
  // Extra macros sent with each command. Always sent, as Postfix 3.7 does: {mail_addr}
  // with MAIL and {rcpt_addr} with RCPT (lower-cased, no brackets), the per-message queue
  // id `i` with the second and later RCPTs, DATA, EOH and EOM. Like Postfix, a step's
  // macros go only when the step itself is sent.
  std::map<Stage, std::vector<milter::Macro>> macros;
  std::string queue_id_prefix;  // queue id = prefix + message number in hex
  // A session for which hold is requested pauses just before sending this stage.
  std::optional<Stage> hold_before;
};

// Adds the connect macros Postfix 3.7 sends by default (j, {daemon_name}, {daemon_addr},
// v, _) for plan's client.
void add_postfix_default_macros(SessionPlan& plan);

// Lets sessions wait at plan.hold_before until released (e.g. to measure memory with N
// connections open mid-message). Implementations are thread-safe.
class HoldGate {
 public:
  virtual ~HoldGate() = default;
  // The session reached the hold point: blocks until released.
  virtual void hold() = 0;
  // The session ended before reaching the hold point (early verdict or error).
  virtual void pass() = 0;
};

struct SessionResult {
  Verdict verdict = Verdict::error;
  Stage stage = Stage::optneg;            // the step whose reply decided
  std::chrono::nanoseconds latency{0};    // connect → final verdict
  ActionCounts actions{};
  std::uint32_t negotiated_protocol = 0;  // as the filter answered OPTNEG
  std::uint32_t negotiated_actions = 0;
  std::string error;                      // set for Verdict::error
};

// Plays one message. gate is null unless this session should hold. Never throws.
SessionResult run_session(const SessionPlan& plan, std::uint64_t message_number, HoldGate* gate);

}  // namespace qmilter::bench
