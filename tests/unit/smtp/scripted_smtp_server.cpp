// The scripted SMTP server: one thread, connections served one after another.
#include "scripted_smtp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace qmilter::smtp::testing {

namespace {

void send_line(int fd, const std::string& line) {
  std::string text = line + "\r\n";
  (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
}

}  // namespace

ScriptedSmtpServer::ScriptedSmtpServer(ServerBehaviour behaviour) : behaviour_(std::move(behaviour)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 8) != 0) {
    throw std::runtime_error("cannot listen");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

ScriptedSmtpServer::~ScriptedSmtpServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  thread_.join();
  ::close(listen_fd_);
}

std::vector<std::string> ScriptedSmtpServer::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

std::vector<std::string> ScriptedSmtpServer::data() const {
  std::lock_guard lock(mutex_);
  return data_;
}

bool ScriptedSmtpServer::wait_for_quit(int seconds) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::seconds(seconds), [&] { return quit_; });
}

void ScriptedSmtpServer::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard lock(mutex_);
      open_fds_.push_back(fd);
    }
    session(fd);
    ::close(fd);
  }
}

void ScriptedSmtpServer::session(int fd) {
  if (!behaviour_.greet) {
    char byte;
    while (!stopping_ && ::recv(fd, &byte, 1, 0) > 0) {
    }
    return;
  }
  send_line(fd, "220 scripted.test ESMTP");
  std::string buffer;
  bool in_data = false;
  char chunk[4096];
  for (;;) {
    ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
    if (got <= 0) return;
    buffer.append(chunk, static_cast<std::size_t>(got));
    for (;;) {
      if (in_data) {
        std::size_t end = buffer.find("\r\n.\r\n");
        if (end == std::string::npos) break;
        {
          std::lock_guard lock(mutex_);
          data_.push_back(buffer.substr(0, end + 5));
        }
        buffer.erase(0, end + 5);
        in_data = false;
        send_line(fd, behaviour_.data_reply);
        continue;
      }
      std::size_t end = buffer.find("\r\n");
      if (end == std::string::npos) break;
      std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      {
        std::lock_guard lock(mutex_);
        commands_.push_back(line);
      }
      std::string verb = line.substr(0, 4);
      if (verb == "EHLO") {
        if (behaviour_.refuse_ehlo) {
          send_line(fd, "500 5.5.1 Command unrecognized");
        } else {
          send_line(fd, "250-scripted.test");
          send_line(fd, "250-PIPELINING");
          send_line(fd, "250 8BITMIME");
        }
      } else if (verb == "HELO") {
        send_line(fd, "250 scripted.test");
      } else if (verb == "MAIL") {
        send_line(fd, "250 2.1.0 Ok");
      } else if (verb == "RCPT") {
        if (line.find("<refuse") != std::string::npos) {
          send_line(fd, "550 5.1.1 No such user");
        } else if (line.find("<later") != std::string::npos) {
          send_line(fd, "450 4.2.0 Try later");
        } else {
          send_line(fd, "250 2.1.5 Ok");
        }
      } else if (verb == "DATA") {
        send_line(fd, "354 End data with <CR><LF>.<CR><LF>");
        in_data = true;
      } else if (verb == "QUIT") {
        send_line(fd, "221 2.0.0 Bye");
        std::lock_guard lock(mutex_);
        quit_ = true;
        changed_.notify_all();
        return;
      } else {
        send_line(fd, "502 5.5.2 Error: command not recognized");
      }
    }
  }
}

}  // namespace qmilter::smtp::testing
