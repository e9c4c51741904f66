// One SMTP transaction on libetpan's client (mailsmtp_*). libetpan does the connection
// greeting, STARTTLS, MAIL, RCPT, DATA and the end of data; this file adds what it lacks:
// a connect timeout, EHLO with a chosen name (libetpan's always uses gethostname()), and
// streaming the message (mailsmtp_data_message wants it whole in memory).
#include "core/smtp/smtp_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>

#include "core/smtp/data_encoder.hpp"

namespace qmilter::smtp {

namespace {

constexpr std::size_t write_batch = 64 * 1024;

// libetpan writes with write(2): a server that closes the connection would raise SIGPIPE and
// kill the process. Block it on this thread for the transaction and swallow any that arrived.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeBlock() {
    if (!blocked_) return;
    if (!was_pending_) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
  bool blocked_ = false;
};

struct SessionDeleter {
  void operator()(mailsmtp* session) const noexcept { mailsmtp_free(session); }  // sends QUIT if still open
};
using Session = std::unique_ptr<mailsmtp, SessionDeleter>;

// A TCP connection to host:port within `timeout`, trying each address in turn; -1 and
// `error` set on failure.
int connect_with_timeout(const std::string& host, std::int64_t port, std::chrono::seconds timeout,
                         std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(found, ::freeaddrinfo);
  error = "cannot connect to " + host + ":" + service + ": no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int ready = ::poll(&p, 1, static_cast<int>(timeout.count() * 1000));
      int so_error = 0;
      socklen_t length = sizeof so_error;
      if (ready == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) == 0 && so_error == 0) {
        rc = 0;
      } else {
        errno = ready == 0 ? ETIMEDOUT : (so_error != 0 ? so_error : errno);
      }
    }
    if (rc == 0) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // libetpan waits with select()
      // SMTP is a dialogue of small writes (the final "\r\n.\r\n" among them): with
      // Nagle's algorithm each waits for the server's delayed ACK, about 40 ms per release.
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      return fd;
    }
    error = "cannot connect to " + host + ":" + service + ": " + std::strerror(errno);
    ::close(fd);
  }
  return -1;
}

// The server's last reply as "250 text" (multi-line replies joined with "; ").
std::string last_reply(const mailsmtp* session) {
  std::string text = session->response != nullptr ? session->response : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) text.replace(at, 1, "; ");
  if (session->response_code == 0) return text.empty() ? "connection lost" : text;
  return std::to_string(session->response_code) + " " + text;
}

// EHLO/HELO with our own name. libetpan's mailesmtp_ehlo() always sends gethostname(),
// so the command goes out through the session's stream and the reply is read here; the
// extensions we act on (STARTTLS) are recorded in session->esmtp as libetpan does.
int greet(mailsmtp* session, const std::string& verb, const std::string& name) {
  std::string command = verb + " " + name + "\r\n";
  if (mailstream_write(session->stream, command.data(), command.size()) < 0 || mailstream_flush(session->stream) < 0) {
    session->response_code = 0;
    return 0;
  }
  mmap_string_assign(session->response_buffer, "");
  int code = 0;
  bool more = true;
  while (more) {
    char* line = mailstream_read_line_remove_eol(session->stream, session->line_buffer);
    if (line == nullptr || std::strlen(line) < 3) {
      code = 0;
      break;
    }
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    more = line[3] == '-';
    const char* text = line[3] != '\0' ? line + 4 : line + 3;
    if (code == 250 && verb == "EHLO" && strncasecmp(text, "STARTTLS", 8) == 0 &&
        (text[8] == '\0' || text[8] == ' ')) {
      session->esmtp |= MAILSMTP_ESMTP_STARTTLS;
    }
    mmap_string_append(session->response_buffer, text);
    mmap_string_append_c(session->response_buffer, '\n');
  }
  session->response = session->response_buffer->str;
  session->response_code = code;
  if (code == 250) session->esmtp |= verb == "EHLO" ? MAILSMTP_ESMTP : 0;
  return code;
}

bool is_positive(int code) { return code >= 200 && code < 400; }

std::string local_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// An address that may go into "MAIL FROM:<...>" / "RCPT TO:<...>" unchanged: libetpan
// formats commands into a 512-byte buffer and would cut longer ones silently.
bool is_sendable_address(std::string_view address) {
  if (address.size() > 400) return false;
  for (char c : address) {
    if (c == '\r' || c == '\n' || c == '<' || c == '>' || c == '\0') return false;
  }
  return true;
}

class Transaction {
 public:
  Transaction(const Server& server, Outcome& outcome) : server_(server), outcome_(outcome) {}

  void run(std::string_view envelope_from, const std::vector<std::string>& recipients, const MessageSource& message) {
    if (recipients.empty()) return fail_permanent("no recipients");
    if (!is_sendable_address(envelope_from)) return fail_permanent("invalid envelope sender '" + std::string(envelope_from) + "'");
    for (const std::string& r : recipients) {
      if (!is_sendable_address(r)) return fail_permanent("invalid recipient '" + r + "'");
    }
    if (!open()) return;
    if (!hello()) return;
    if (session_->esmtp & MAILSMTP_ESMTP_STARTTLS) {
      if (int r = mailsmtp_socket_starttls(session_.get()); r != MAILSMTP_NO_ERROR) {
        return fail_reply(std::string("STARTTLS failed: ") + mailsmtp_strerror(r));
      }
      session_->esmtp = 0;
      if (!hello()) return;
    }
    std::string from(envelope_from);
    mailsmtp_mail(session_.get(), from.c_str());
    if (!is_positive(session_->response_code)) return fail_reply("MAIL FROM refused");

    bool any_accepted = false;
    bool any_temporary = false;
    for (const std::string& recipient : recipients) {
      mailsmtp_rcpt(session_.get(), recipient.c_str());
      if (is_positive(session_->response_code)) {
        any_accepted = true;
      } else {
        if (session_->response_code / 100 != 5) any_temporary = true;
        outcome_.refused_recipients.push_back(recipient);
        outcome_.reply = last_reply(session_.get());
        outcome_.reply_code = session_->response_code;
      }
    }
    if (!any_accepted) {
      outcome_.permanent = !any_temporary;
      outcome_.reply = "every recipient refused: " + outcome_.reply;
      return;
    }

    mailsmtp_data(session_.get());
    if (session_->response_code != 354) return fail_reply("DATA refused");
    if (!stream_message(message)) return;
    // The message went out already; an empty buffer makes libetpan write only the
    // terminator "\r\n.\r\n" (no second dot-stuffing pass) and read the server's verdict.
    mailsmtp_data_message(session_.get(), "", 0);
    if (session_->response_code / 100 != 2) return fail_reply("message refused");
    outcome_.delivered = true;
    outcome_.reply_code = session_->response_code;
    outcome_.reply = last_reply(session_.get());
    mailsmtp_quit(session_.get());
  }

 private:
  bool open() {
    session_.reset(mailsmtp_new(0, nullptr));
    if (!session_) return fail_temporary("out of memory"), false;
    mailsmtp_set_timeout(session_.get(), static_cast<time_t>(server_.timeout.count()));
    std::string error;
    int fd = connect_with_timeout(server_.host, server_.port, server_.timeout, error);
    if (fd < 0) return fail_temporary(error), false;
    mailstream* stream = mailstream_socket_open_timeout(fd, static_cast<time_t>(server_.timeout.count()));
    if (stream == nullptr) {
      ::close(fd);
      return fail_temporary("out of memory"), false;
    }
    if (mailsmtp_connect(session_.get(), stream) != MAILSMTP_NO_ERROR) {  // closes the stream itself
      return fail_reply("greeting refused"), false;
    }
    return true;
  }

  bool hello() {
    const std::string name = server_.helo_name.empty() ? local_host_name() : server_.helo_name;
    int code = greet(session_.get(), "EHLO", name);
    if (code == 0) return fail_reply("EHLO failed"), false;
    if (code != 250) code = greet(session_.get(), "HELO", name);
    if (code != 250) return fail_reply("HELO refused"), false;
    return true;
  }

  bool stream_message(const MessageSource& message) {
    DataEncoder encoder;
    std::string out;
    bool write_failed = false;
    auto flush = [&] {
      if (!out.empty() && mailstream_write(session_->stream, out.data(), out.size()) < 0) write_failed = true;
      out.clear();
    };
    sdk::Status read = message([&](std::string_view chunk) {
      encoder.feed(chunk, out);
      if (out.size() >= write_batch) flush();
      return !write_failed;
    });
    if (write_failed) return fail_temporary("connection lost while sending the message"), false;
    if (!read.ok()) {
      // Closing without the terminator makes the server drop the half-sent message.
      mailstream_close(session_->stream);
      session_->stream = nullptr;
      return fail_temporary("cannot read the message: " + read.error().message), false;
    }
    encoder.finish(out);
    flush();
    if (write_failed) return fail_temporary("connection lost while sending the message"), false;
    return true;
  }

  void fail_permanent(std::string reason) {
    outcome_.permanent = true;
    outcome_.reply = std::move(reason);
  }
  void fail_temporary(std::string reason) {
    outcome_.permanent = false;
    outcome_.reply = std::move(reason);
  }
  // A failure after the server answered: its reply decides whether it is permanent.
  void fail_reply(const std::string& what) {
    outcome_.reply_code = session_->response_code;
    outcome_.permanent = session_->response_code / 100 == 5;
    outcome_.reply = what + ": " + last_reply(session_.get());
  }

  const Server& server_;
  Outcome& outcome_;
  Session session_;
};

}  // namespace

Outcome send(const Server& server, std::string_view envelope_from, const std::vector<std::string>& recipients,
             const MessageSource& message) noexcept {
  Outcome outcome;
  try {
    SigpipeBlock no_sigpipe;
    Transaction(server, outcome).run(envelope_from, recipients, message);
  } catch (const std::exception& e) {
    outcome.delivered = false;
    outcome.reply = std::string("internal error: ") + e.what();
  } catch (...) {
    outcome.delivered = false;
    outcome.reply = "internal error";
  }
  return outcome;
}

}  // namespace qmilter::smtp
