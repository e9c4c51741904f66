// A minimal SMTP server for the client's tests: listens on 127.0.0.1 (free port), serves one
// connection per accept on its own thread and records the raw bytes of every command and
// DATA section, so the tests can check exactly what went over the wire. Recipients starting
// with "refuse" get 550, with "later" 450. Stopped by its destructor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace qmilter::smtp::testing {

struct ServerBehaviour {
  bool greet = true;            // false: accept and say nothing (timeout tests)
  bool refuse_ehlo = false;     // answer EHLO with 500 (client must fall back to HELO)
  std::string data_reply = "250 2.0.0 Ok: queued";
};

class ScriptedSmtpServer {
 public:
  explicit ScriptedSmtpServer(ServerBehaviour behaviour = {});
  ~ScriptedSmtpServer();

  int port() const { return port_; }
  std::vector<std::string> commands() const;  // every command line, without CRLF
  std::vector<std::string> data() const;      // raw DATA sections, up to and including "\r\n.\r\n"
  bool wait_for_quit(int seconds) const;     // until a QUIT was received (or the time ran out)

 private:
  void serve();
  void session(int fd);

  ServerBehaviour behaviour_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> commands_;
  std::vector<std::string> data_;
  bool quit_ = false;
  std::vector<int> open_fds_;
  std::thread thread_;
};

}  // namespace qmilter::smtp::testing
