// The MTA side of one milter conversation (see mta_session.hpp).
#include "loadgen/mta_session.hpp"

#include <array>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string_view>

namespace qmilter::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<const char*, static_cast<std::size_t>(Stage::count_)> stage_names{
    "optneg", "connect", "helo", "mail", "rcpt", "data", "header", "eoh", "body", "eom"};
constexpr std::array<const char*, static_cast<std::size_t>(Verdict::count_)> verdict_names{
    "accept", "discard", "reject", "tempfail", "conn_fail", "shutdown", "error"};
constexpr std::array<const char*, static_cast<std::size_t>(Action::count_)> action_names{
    "addrcpt", "addrcpt_par", "delrcpt", "replbody", "chgfrom", "addheader",
    "insheader", "chgheader", "quarantine", "progress", "skip", "rcpt_rejected"};

// The value of {mail_addr} / {rcpt_addr}: Postfix sends the address without angle
// brackets and lower-cased (seen with Postfix 3.7).
std::string address_macro(std::string_view address) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = address.substr(1, address.size() - 2);
  }
  std::string value(address);
  for (char& c : value) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return value;
}

// The verdict a reply code stands for; nullopt for "go on" (continue, skip).
std::optional<Verdict> verdict_of(const Reply& reply) {
  switch (reply.code) {
    case milter::reply_accept: return Verdict::accept;
    case milter::reply_discard: return Verdict::discard;
    case milter::reply_reject: return Verdict::reject;
    case milter::reply_tempfail: return Verdict::tempfail;
    case milter::reply_replycode:
      return !reply.data.empty() && reply.data[0] == '4' ? Verdict::tempfail : Verdict::reject;
    case milter::reply_conn_fail: return Verdict::conn_fail;
    case milter::reply_shutdown: return Verdict::shutdown;
    default: return std::nullopt;
  }
}

class Session {
 public:
  Session(const SessionPlan& plan, std::uint64_t message_number, HoldGate* gate,
          SessionResult& result)
      : plan_(plan), gate_(gate), result_(result) {
    char id[32];
    std::snprintf(id, sizeof id, "%07llX", static_cast<unsigned long long>(message_number));
    queue_id_ = plan.queue_id_prefix + id;
  }

  void run() {
    const auto start = Clock::now();
    MilterSocket socket(plan_.endpoint, plan_.timeout);
    socket_ = &socket;
    if (!play()) result_.verdict = Verdict::accept;  // cannot happen: EOM always decides
    result_.latency = Clock::now() - start;
    try {
      std::string quit;
      milter::append_packet(quit, milter::cmd_quit, {});
      socket.send(quit);
    } catch (const std::exception&) {
      // The filter may already have closed after its verdict; the message is decided.
    }
    release_gate();
  }

  void fail(const std::string& error) {
    result_.verdict = Verdict::error;
    result_.stage = stage_;
    result_.error = std::string(stage_name(stage_)) + ": " + error;
    release_gate();
  }

 private:
  // Sends the whole conversation; true once a verdict is known.
  bool play() {
    negotiate();
    if (!skipped(milter::p_no_connect)) {
      std::string data = plan_.client_name;
      data += '\0';
      const bool v6 = plan_.client_address.find(':') != std::string::npos;
      data += v6 ? milter::family_inet6 : milter::family_inet;
      data += static_cast<char>(plan_.client_port >> 8);
      data += static_cast<char>(plan_.client_port & 0xFF);
      data += plan_.client_address;
      data += '\0';
      if (step(Stage::connect, milter::cmd_connect, data, {}, milter::p_nr_conn)) return true;
    }
    if (!skipped(milter::p_no_helo)) {
      if (step(Stage::helo, milter::cmd_helo, plan_.helo + '\0', {}, milter::p_nr_helo)) return true;
    }
    if (!skipped(milter::p_no_mail)) {
      std::string data = plan_.sender;
      data += '\0';
      for (const auto& arg : plan_.mail_args) {
        data += arg;
        data += '\0';
      }
      if (step(Stage::mail, milter::cmd_mail, data, {{"{mail_addr}", address_macro(plan_.sender)}},
               milter::p_nr_mail)) {
        return true;
      }
    }
    if (!skipped(milter::p_no_rcpt) && rcpt_steps()) return true;
    if (!skipped(milter::p_no_data)) {
      if (step(Stage::data, milter::cmd_data, {}, {{"i", queue_id_}}, milter::p_nr_data)) return true;
    }
    if (!skipped(milter::p_no_hdrs) && header_steps()) return true;
    if (!skipped(milter::p_no_eoh)) {
      if (step(Stage::eoh, milter::cmd_eoh, {}, {{"i", queue_id_}}, milter::p_nr_eoh)) return true;
    }
    if (!skipped(milter::p_no_body) && body_steps()) return true;
    return end_of_message();
  }

  void negotiate() {
    stage_ = Stage::optneg;
    std::string data;
    milter::append_u32(data, milter::protocol_version);
    milter::append_u32(data, milter::offered_actions);
    milter::append_u32(data, milter::offered_protocol);
    std::string packet;
    milter::append_packet(packet, milter::cmd_optneg, data);
    socket_->send(packet);
    const Reply reply = socket_->read_reply();
    if (reply.code != milter::cmd_optneg || reply.data.size() < 12) {
      throw std::runtime_error(std::string("expected an OPTNEG reply, got code '") + reply.code + "'");
    }
    if (milter::read_u32(reply.data, 0) < 2) {
      throw std::runtime_error("filter speaks milter protocol version " +
                               std::to_string(milter::read_u32(reply.data, 0)));
    }
    result_.negotiated_actions = milter::read_u32(reply.data, 4);
    protocol_ = milter::read_u32(reply.data, 8);
    result_.negotiated_protocol = protocol_;
    // Any symbol lists (SMFIR_SETSYMLIST data) after the three words are ignored: the
    // generator always sends the Postfix default macros.
  }

  bool skipped(std::uint32_t no_flag) const { return (protocol_ & no_flag) != 0; }

  void maybe_hold(Stage stage) {
    if (gate_ != nullptr && plan_.hold_before == stage) {
      HoldGate* gate = gate_;
      gate_ = nullptr;
      gate->hold();
    }
  }

  void release_gate() {
    if (gate_ != nullptr) {
      HoldGate* gate = gate_;
      gate_ = nullptr;
      gate->pass();
    }
  }

  // Sends one command with its macros as one write; reads the reply unless the filter asked
  // for none. True when the reply is a verdict for the whole message.
  bool step(Stage stage, char command, std::string_view data, std::vector<milter::Macro> macros,
            std::uint32_t no_reply_flag) {
    stage_ = stage;
    maybe_hold(stage);
    send_command(stage, command, data, std::move(macros));
    if ((protocol_ & no_reply_flag) != 0) return false;
    return decided(read_decision());
  }

  void send_command(Stage stage, char command, std::string_view data,
                    std::vector<milter::Macro> macros) {
    std::string packet;
    if (const auto extra = plan_.macros.find(stage); extra != plan_.macros.end()) {
      macros.insert(macros.end(), extra->second.begin(), extra->second.end());
    }
    milter::append_macros(packet, command, macros);
    milter::append_packet(packet, command, data);
    socket_->send(packet);
  }

  // Next reply that is not a progress note.
  Reply read_decision() {
    for (;;) {
      Reply reply = socket_->read_reply();
      if (reply.code != milter::reply_progress) return reply;
      count(Action::progress);
    }
  }

  bool decided(const Reply& reply) {
    if (const auto verdict = verdict_of(reply)) {
      result_.verdict = *verdict;
      result_.stage = stage_;
      return true;
    }
    if (reply.code != milter::reply_continue && reply.code != milter::reply_skip) {
      throw std::runtime_error(std::string("unexpected reply code '") + reply.code + "'");
    }
    return false;
  }

  // Recipients one by one; a reject or tempfail refuses only that recipient, as in SMTP.
  // Postfix opens the queue file after the first recipient, so `i` comes from the second on.
  bool rcpt_steps() {
    stage_ = Stage::rcpt;
    std::size_t accepted = 0;
    Reply last_refusal;
    bool first = true;
    for (const auto& recipient : plan_.recipients) {
      maybe_hold(Stage::rcpt);
      std::vector<milter::Macro> macros;
      if (!first) macros.emplace_back("i", queue_id_);
      macros.emplace_back("{rcpt_addr}", address_macro(recipient));
      first = false;
      send_command(Stage::rcpt, milter::cmd_rcpt, recipient + '\0', std::move(macros));
      if ((protocol_ & milter::p_nr_rcpt) != 0) {
        ++accepted;
        continue;
      }
      const Reply reply = read_decision();
      const auto verdict = verdict_of(reply);
      if (verdict == Verdict::reject || verdict == Verdict::tempfail) {
        count(Action::rcpt_rejected);
        last_refusal = reply;
        continue;
      }
      if (decided(reply)) return true;
      ++accepted;
    }
    if (accepted == 0 && !plan_.recipients.empty()) return decided(last_refusal);
    return false;
  }

  bool header_steps() {
    stage_ = Stage::header;
    maybe_hold(Stage::header);
    const bool keep_space = (protocol_ & milter::p_hdr_leadspc) != 0;
    std::string packet;
    for (const auto& header : plan_.message.headers()) {
      std::string_view value = header.raw_value;
      if (!keep_space && !value.empty() && value.front() == ' ') value.remove_prefix(1);
      packet.clear();
      std::string data;
      data.reserve(header.name.size() + value.size() + 2);
      data.append(header.name);
      data += '\0';
      data.append(value);
      data += '\0';
      milter::append_packet(packet, milter::cmd_header, data);
      socket_->send(packet);
      if ((protocol_ & milter::p_nr_hdr) == 0 && decided(read_decision())) return true;
    }
    return false;
  }

  bool body_steps() {
    stage_ = Stage::body;
    maybe_hold(Stage::body);
    const std::string_view body = plan_.message.body();
    for (std::size_t offset = 0; offset < body.size(); offset += milter::max_body_chunk) {
      socket_->send_packet(milter::cmd_body, body.substr(offset, milter::max_body_chunk));
      if ((protocol_ & milter::p_nr_body) != 0) continue;
      const Reply reply = read_decision();
      if (reply.code == milter::reply_skip) {
        count(Action::skip);
        break;
      }
      if (decided(reply)) return true;
    }
    return false;
  }

  // End of message: modification requests until the final reply.
  bool end_of_message() {
    stage_ = Stage::eom;
    maybe_hold(Stage::eom);
    send_command(Stage::eom, milter::cmd_body_eob, {}, {{"i", queue_id_}});
    for (;;) {
      const Reply reply = socket_->read_reply();
      switch (reply.code) {
        case milter::reply_addrcpt: count(Action::addrcpt); continue;
        case milter::reply_addrcpt_par: count(Action::addrcpt_par); continue;
        case milter::reply_delrcpt: count(Action::delrcpt); continue;
        case milter::reply_replbody: count(Action::replbody); continue;
        case milter::reply_chgfrom: count(Action::chgfrom); continue;
        case milter::reply_addheader: count(Action::addheader); continue;
        case milter::reply_insheader: count(Action::insheader); continue;
        case milter::reply_chgheader: count(Action::chgheader); continue;
        case milter::reply_quarantine: count(Action::quarantine); continue;
        case milter::reply_progress: count(Action::progress); continue;
        case milter::reply_continue:
          result_.verdict = Verdict::accept;
          result_.stage = Stage::eom;
          return true;
        default:
          if (decided(reply)) return true;
          throw std::runtime_error(std::string("unexpected reply code '") + reply.code + "' at end of message");
      }
    }
  }

  void count(Action action) { ++result_.actions[static_cast<std::size_t>(action)]; }

  const SessionPlan& plan_;
  HoldGate* gate_;  // non-null until this session held or passed
  SessionResult& result_;
  MilterSocket* socket_ = nullptr;
  std::string queue_id_;
  std::uint32_t protocol_ = 0;
  Stage stage_ = Stage::optneg;
};

template <typename Enum, std::size_t N>
std::optional<Enum> from_name(const std::array<const char*, N>& names, const std::string& name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

const char* stage_name(Stage stage) { return stage_names.at(static_cast<std::size_t>(stage)); }
std::optional<Stage> stage_from_name(const std::string& name) {
  return from_name<Stage>(stage_names, name);
}
const char* verdict_name(Verdict verdict) {
  return verdict_names.at(static_cast<std::size_t>(verdict));
}
std::optional<Verdict> verdict_from_name(const std::string& name) {
  return from_name<Verdict>(verdict_names, name);
}
const char* action_name(Action action) { return action_names.at(static_cast<std::size_t>(action)); }

void add_postfix_default_macros(SessionPlan& plan) {
  auto& connect = plan.macros[Stage::connect];
  connect.insert(connect.begin(),
                 {{"j", "mx.bench.example"},
                  {"{daemon_name}", "mx.bench.example"},
                  {"{daemon_addr}", "127.0.0.1"},
                  {"v", "Postfix 3.7.11"},
                  {"_", plan.client_name + " [" + plan.client_address + "]"}});
}

SessionResult run_session(const SessionPlan& plan, std::uint64_t message_number, HoldGate* gate) {
  SessionResult result;
  Session session(plan, message_number, gate, result);
  try {
    session.run();
  } catch (const std::exception& e) {
    session.fail(e.what());
  }
  return result;
}

}  // namespace qmilter::bench
