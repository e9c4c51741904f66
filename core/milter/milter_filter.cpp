// libmilter callbacks. The clean path is the hot path: the MTA is asked for no reply on
// every step qmilter does not decide at, so a clean message costs one round trip, at end of
// headers, where it is accepted and the MTA never sends the body. Steps that cannot answer
// (no-reply) record a failure that end of headers turns into TEMPFAIL.
#include "core/milter/milter_filter.hpp"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/config/milter_socket.hpp"
#include "core/dispatch/active_rules.hpp"
#include "core/dispatch/outcome.hpp"
#include "core/log/log_sink.hpp"
#include "core/metrics/host_metrics.hpp"
#include "core/milter/connection_context.hpp"
#include "core/mime/header_text.hpp"

namespace qmilter::core {
namespace {

ConfigStore* config_store = nullptr;
std::atomic<bool> serving{false};  // libmilter's listener is running

// Threads inside a callback, so a stop can wait until no plugin call is cut off. An
// atomic: this is touched by every callback of every message.
std::atomic<std::size_t> busy_callbacks{0};

struct CallbackScope {
  CallbackScope() { busy_callbacks.fetch_add(1, std::memory_order_relaxed); }
  ~CallbackScope() { busy_callbacks.fetch_sub(1, std::memory_order_release); }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;
};

// Steps that never decide: the MTA need not wait for an answer, nor send what we ignore.
constexpr unsigned long kNoReplySteps =
    SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_HDR | SMFIP_NR_BODY;
constexpr unsigned long kSkippedSteps = SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA;

ConnectionContext* context_of(SMFICTX* ctx) { return static_cast<ConnectionContext*>(smfi_getpriv(ctx)); }

// The answer for a step the MTA may have been told not to wait for.
sfsistat quiet(const ConnectionContext* c, unsigned long no_reply_flag) {
  return (c && (c->protocol_flags & no_reply_flag)) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

// `reason`: what failed, for qmilter_tempfail_total (one of daemon_metrics::tempfail_reasons).
sfsistat tempfail(SMFICTX* ctx, std::string_view queue_id, const std::string& why, std::string_view reason) {
  log::error(queue_id, "temporary failure: " + why);
  daemon_metrics::count_failure(reason);
  smfi_setreply(ctx, const_cast<char*>("451"), const_cast<char*>("4.3.0"),
                const_cast<char*>("Temporary failure in mail filter, try again later"));
  return SMFIS_TEMPFAIL;
}

std::string address_text(const sockaddr* address) {
  if (!address) return {};
  char text[INET6_ADDRSTRLEN] = {0};
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  }
  return text;
}

void pick_up_queue_id(SMFICTX* ctx, MessageContext& message) {
  if (!message.queue_id().empty()) return;
  const char* id = smfi_getsymval(ctx, const_cast<char*>("i"));
  if (id && *id) message.set_queue_id(id);
}

sfsistat apply_verdict(SMFICTX* ctx, const sdk::Verdict& verdict, std::string_view queue_id) {
  if (verdict.kind != sdk::Verdict::Kind::hold) daemon_metrics::count_answer(verdict.kind);
  switch (verdict.kind) {
    case sdk::Verdict::Kind::accept:
      return SMFIS_ACCEPT;
    case sdk::Verdict::Kind::discard:
      return SMFIS_DISCARD;
    case sdk::Verdict::Kind::reject:
    case sdk::Verdict::Kind::tempfail: {
      bool reject = verdict.kind == sdk::Verdict::Kind::reject;
      if (!verdict.reply_code.empty() &&
          smfi_setreply(ctx, const_cast<char*>(verdict.reply_code.c_str()),
                        verdict.extended_code.empty() ? nullptr : const_cast<char*>(verdict.extended_code.c_str()),
                        verdict.text.empty() ? nullptr : const_cast<char*>(verdict.text.c_str())) != MI_SUCCESS) {
        log::warning(queue_id, "the MTA refused the reply text; it answers with its default");
      }
      return reject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
    }
    case sdk::Verdict::Kind::hold:
      if (smfi_quarantine(ctx, const_cast<char*>(verdict.text.c_str())) != MI_SUCCESS) {
        return tempfail(ctx, queue_id, "the MTA refused to hold the message", "mta");
      }
      daemon_metrics::count_answer(verdict.kind);
      return SMFIS_ACCEPT;
  }
  return SMFIS_ACCEPT;
}

// The tag verdicts' headers and Subject prefix on the delivered message; what failed, if
// anything (the MTA then keeps the message: it must not go out unmarked).
std::optional<std::string> apply_edits(SMFICTX* ctx, const Disposition& disposition, const MessageContext& message) {
  for (const sdk::Header& header : disposition.add_headers) {
    if (smfi_addheader(ctx, const_cast<char*>(header.name.c_str()), const_cast<char*>(header.value.c_str())) !=
        MI_SUCCESS) {
      return "the MTA refused to add header " + header.name;
    }
  }
  if (disposition.subject_prefix.empty()) return std::nullopt;
  std::optional<std::string> subject = message.header("Subject");
  const std::string tagged = mime::prefixed_subject(disposition.subject_prefix, subject.value_or(""));
  const int changed = subject ? smfi_chgheader(ctx, const_cast<char*>("Subject"), 1, const_cast<char*>(tagged.c_str()))
                              : smfi_addheader(ctx, const_cast<char*>("Subject"), const_cast<char*>(tagged.c_str()));
  if (changed != MI_SUCCESS) return std::string("the MTA refused to change the Subject");
  return std::nullopt;
}

sfsistat on_negotiate(SMFICTX* ctx, unsigned long actions, unsigned long steps, unsigned long, unsigned long,
                      unsigned long* actions_out, unsigned long* steps_out, unsigned long* f2_out,
                      unsigned long* f3_out) {
  CallbackScope scope;
  try {
    auto connection = std::make_unique<ConnectionContext>();
    connection->config = config_store->current();
    unsigned long wanted = kNoReplySteps | kSkippedSteps;
    // Connect is a decision point only when some quarantine ignores hosts.
    bool any_ignore = false;
    for (const Quarantine& q : connection->config->quarantines) any_ignore |= !q.ignore_hosts.empty();
    if (!any_ignore) wanted |= SMFIP_NR_CONN;
    connection->protocol_flags = steps & wanted;
    unsigned long needed = SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
    if (connection->config->actions_edit_messages) needed |= SMFIF_ADDHDRS | SMFIF_CHGHDRS;
    *actions_out = actions & needed;
    *steps_out = connection->protocol_flags;
    *f2_out = 0;
    *f3_out = 0;
    smfi_setpriv(ctx, connection.release());
    daemon_metrics::connections().add(1);
    if (*actions_out & SMFIF_SETSYMLIST) {
      smfi_setsymlist(ctx, SMFIM_EOH, const_cast<char*>("i"));
      smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char*>("i"));
    }
    return SMFIS_CONTINUE;
  } catch (const std::exception& e) {
    log::error("", std::string("cannot set up connection: ") + e.what());
    return SMFIS_TEMPFAIL;
  }
}

sfsistat on_connect(SMFICTX* ctx, char*, _SOCK_ADDR* address) {
  CallbackScope scope;
  ConnectionContext* c = context_of(ctx);
  if (!c) return SMFIS_TEMPFAIL;
  try {
    c->client_address = address_text(address);
    c->rules = rules_for_client(*c->config, c->client_address);
    if (c->rules.empty() && !(c->protocol_flags & SMFIP_NR_CONN)) {
      log::debug("", "client " + c->client_address + " is ignored by every quarantine");
      return SMFIS_ACCEPT;
    }
  } catch (const std::exception& e) {
    c->failure = e.what();
  }
  return quiet(c, SMFIP_NR_CONN);
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
  CallbackScope scope;
  ConnectionContext* c = context_of(ctx);
  if (!c) return SMFIS_TEMPFAIL;
  try {
    c->message.reset();  // never judge a new message by the previous one's state
    c->message = std::make_unique<MessageContext>(c->client_address, argv && argv[0] ? argv[0] : "");
    pick_up_queue_id(ctx, *c->message);  // Sendmail sends `i` with MAIL
  } catch (const std::exception& e) {
    c->failure = e.what();
  }
  return quiet(c, SMFIP_NR_MAIL);
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv) {
  CallbackScope scope;
  ConnectionContext* c = context_of(ctx);
  if (!c) return SMFIS_TEMPFAIL;
  try {
    if (c->message && argv && argv[0]) c->message->add_recipient(argv[0]);
  } catch (const std::exception& e) {
    if (c->message) c->message->failure = e.what();
  }
  return quiet(c, SMFIP_NR_RCPT);
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  CallbackScope scope;
  ConnectionContext* c = context_of(ctx);
  if (!c) return SMFIS_TEMPFAIL;
  try {
    if (c->message) c->message->add_header(name ? name : "", value ? value : "");
  } catch (const std::exception& e) {
    if (c->message) c->message->failure = e.what();
  }
  return quiet(c, SMFIP_NR_HDR);
}

sfsistat on_eoh(SMFICTX* ctx) {
  CallbackScope scope;
  ConnectionContext* c = context_of(ctx);
  if (!c || !c->message) {
    daemon_metrics::count_failure("internal");
    return SMFIS_TEMPFAIL;
  }
  MessageContext& message = *c->message;
  try {
    pick_up_queue_id(ctx, message);
    if (message.queue_id().empty()) message.set_queue_id(generate_queue_id());
    if (!c->failure.empty()) return tempfail(ctx, message.queue_id(), c->failure, "internal");
    if (message.failure) return tempfail(ctx, message.queue_id(), *message.failure, "message");

    auto evaluation = evaluate(c->rules, message.header_subjects(), message.sender(), message.recipients(),
                               c->config->regex_time_limit);
    if (!evaluation.ok()) {
      return tempfail(ctx, message.queue_id(), evaluation.error().message, step_name(evaluation.failed_step()));
    }
    for (const std::string& line : evaluation.value().warnings) log::warning(message.queue_id(), line);
    if (evaluation.value().assigned.empty()) {
      log::debug(message.queue_id(), "clean: accepted at end of headers");
      daemon_metrics::count_answer(sdk::Verdict::Kind::accept);
      return SMFIS_ACCEPT;
    }
    message.evaluation = std::move(evaluation).value();
    if (evaluation_needs_body(*c->config, *message.evaluation)) {
      message.keep_body(c->config->body_memory_limit, c->config->spool_dir);
      return SMFIS_CONTINUE;
    }
    // Nothing to keep: decide now. Removing recipients, editing headers and holding the
    // message have to wait for end of message (libmilter allows them only there).
    auto outcome = carry_out(*c->config, *message.evaluation, message);
    if (!outcome.ok()) return tempfail(ctx, message.queue_id(), outcome.error().message, step_name(outcome.failed_step()));
    for (const std::string& line : outcome.value().log_lines) log::info(message.queue_id(), line);
    message.outcome = std::move(outcome).value();
    const Disposition& disposition = message.outcome->disposition;
    if (!disposition.remove.empty() || disposition.edits_message() ||
        disposition.verdict.kind == sdk::Verdict::Kind::hold) {
      return SMFIS_CONTINUE;
    }
    return apply_verdict(ctx, message.outcome->disposition.verdict, message.queue_id());
  } catch (const std::exception& e) {
    return tempfail(ctx, message.queue_id(), e.what(), "internal");
  }
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t size) {
  CallbackScope scope;
  ConnectionContext* c = context_of(ctx);
  if (!c) return SMFIS_TEMPFAIL;
  if (c->message && c->message->keeps_body() && !c->message->failure) {
    try {
      auto status = c->message->append_body(std::string_view(reinterpret_cast<const char*>(chunk), size));
      if (!status.ok()) c->message->failure = status.error().message;
    } catch (const std::exception& e) {
      c->message->failure = e.what();
    }
  }
  return quiet(c, SMFIP_NR_BODY);
}

sfsistat on_eom(SMFICTX* ctx) {
  CallbackScope scope;
  ConnectionContext* c = context_of(ctx);
  if (!c || !c->message) {
    daemon_metrics::count_failure("internal");
    return SMFIS_TEMPFAIL;
  }
  MessageContext& message = *c->message;
  try {
    if (message.failure) return tempfail(ctx, message.queue_id(), *message.failure, "message");
    if (!message.evaluation) return SMFIS_ACCEPT;  // nothing matched (the MTA accepted at EOH)
    if (!message.outcome) {
      auto outcome = carry_out(*c->config, *message.evaluation, message);
      if (!outcome.ok()) return tempfail(ctx, message.queue_id(), outcome.error().message, step_name(outcome.failed_step()));
      for (const std::string& line : outcome.value().log_lines) log::info(message.queue_id(), line);
      message.outcome = std::move(outcome).value();
    }

    const Disposition& disposition = message.outcome->disposition;
    for (const std::string& recipient : disposition.remove) {
      for (const std::string& raw : message.raw_recipients(recipient)) {
        if (smfi_delrcpt(ctx, const_cast<char*>(raw.c_str())) != MI_SUCCESS) {
          // The message is stored and notified already; delivering it to a quarantined
          // recipient would be wrong, losing it is worse: let the MTA retry.
          return tempfail(ctx, message.queue_id(), "the MTA refused to remove recipient " + raw, "mta");
        }
      }
    }
    if (disposition.edits_message()) {
      if (auto failed = apply_edits(ctx, disposition, message)) return tempfail(ctx, message.queue_id(), *failed, "mta");
    }
    sfsistat answer = apply_verdict(ctx, disposition.verdict, message.queue_id());
    c->message.reset();
    return answer;
  } catch (const std::exception& e) {
    return tempfail(ctx, message.queue_id(), e.what(), "internal");
  }
}

sfsistat on_abort(SMFICTX* ctx) {
  CallbackScope scope;
  if (ConnectionContext* c = context_of(ctx)) c->message.reset();
  return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) {
  CallbackScope scope;
  if (ConnectionContext* c = context_of(ctx)) {
    delete c;
    smfi_setpriv(ctx, nullptr);
    daemon_metrics::connections().add(-1);
  }
  return SMFIS_CONTINUE;
}

struct smfiDesc filter_description() {
  struct smfiDesc description {};
  description.xxfi_name = const_cast<char*>("qmilter");
  description.xxfi_version = SMFI_VERSION;
  description.xxfi_flags = SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
  description.xxfi_connect = on_connect;
  description.xxfi_envfrom = on_envfrom;
  description.xxfi_envrcpt = on_envrcpt;
  description.xxfi_header = on_header;
  description.xxfi_eoh = on_eoh;
  description.xxfi_body = on_body;
  description.xxfi_eom = on_eom;
  description.xxfi_abort = on_abort;
  description.xxfi_close = on_close;
  description.xxfi_negotiate = on_negotiate;
  return description;
}

// Connects to our own listening socket (and closes at once) so libmilter's listener,
// asleep in poll(), sees the stop flag now instead of after its 5 s timeout. Best effort.
void wake_listener(const std::string& socket) {
  sockaddr_storage address{};
  socklen_t length = 0;
  const std::optional<MilterSocket> spec = parse_milter_socket(socket);
  if (!spec) return;
  if (spec->family == MilterSocket::Family::unix_path) {
    auto* un = reinterpret_cast<sockaddr_un*>(&address);
    if (spec->path.empty() || spec->path.size() >= sizeof un->sun_path) return;
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, spec->path.c_str(), spec->path.size() + 1);
    length = sizeof(sockaddr_un);
  } else {
    const bool v6 = spec->family == MilterSocket::Family::inet6;
    const std::string& port = spec->port;
    std::string host = spec->host;
    if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") host = v6 ? "::1" : "127.0.0.1";
    addrinfo hints{};
    hints.ai_family = v6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found) return;
    std::memcpy(&address, found->ai_addr, found->ai_addrlen);
    length = found->ai_addrlen;
    freeaddrinfo(found);
  }
  int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::connect(fd, reinterpret_cast<sockaddr*>(&address), length);
  ::close(fd);
}

}  // namespace

void milter_open(ConfigStore& configs, const std::string& socket, unsigned socket_mode) {
  config_store = &configs;
  static struct smfiDesc description = filter_description();
  if (smfi_register(description) != MI_SUCCESS) throw std::runtime_error("libmilter refused to register the filter");
  if (smfi_setconn(const_cast<char*>(socket.c_str())) != MI_SUCCESS) {
    throw std::runtime_error("invalid socket '" + socket + "'");
  }
  smfi_setbacklog(128);
  if (smfi_opensocket(true) != MI_SUCCESS) throw std::runtime_error("cannot open socket '" + socket + "'");
  const std::optional<MilterSocket> spec = parse_milter_socket(socket);
  if (spec && spec->family == MilterSocket::Family::unix_path && ::chmod(spec->path.c_str(), socket_mode) != 0) {
    throw std::runtime_error("cannot set mode of socket '" + spec->path + "': " + std::strerror(errno));
  }
}

int milter_serve() {
  serving = true;
  int status = smfi_main();
  serving = false;
  return status;
}

void milter_remove_socket(const std::string& socket) {
  const std::optional<MilterSocket> spec = parse_milter_socket(socket);
  if (spec && spec->family == MilterSocket::Family::unix_path) ::unlink(spec->path.c_str());
}

void milter_stop(const std::string& socket) {
  // smfi_stop() sets libmilter's stop flag at once, then blocks on the listener's mutex,
  // which the listener holds while it polls (up to 5 s). So it runs in a thread of its own
  // while we wake the listener with connections until it has seen the flag.
  std::thread([] { smfi_stop(); }).detach();
  for (int attempt = 0; attempt < 100 && serving.load(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    wake_listener(socket);
  }
}

bool milter_wait_quiet(std::chrono::seconds timeout) {
  // Polled: only a stop waits here, and it should not cost the hot path a notification.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (busy_callbacks.load(std::memory_order_acquire) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace qmilter::core
