// Socket handling of the load generator (see milter_socket.hpp).
#include "loadgen/milter_socket.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/config/milter_socket.hpp"
#include "loadgen/milter_protocol.hpp"

namespace qmilter::bench {
namespace {

// A reply larger than this is a protocol error (libmilter's largest is 1 MiB of data).
constexpr std::uint32_t max_reply_length = 2 * 1024 * 1024;

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

Endpoint Endpoint::parse(const std::string& spec) {
  Endpoint endpoint;
  endpoint.spec_ = spec;
  const std::optional<core::MilterSocket> parsed = core::parse_milter_socket(spec);
  std::string path;
  if (parsed && parsed->family == core::MilterSocket::Family::unix_path) {
    path = parsed->path;
  } else if (parsed) {
    const bool v6 = parsed->family == core::MilterSocket::Family::inet6;
    const std::string& port = parsed->port;
    const std::string host = parsed->host.empty() ? (v6 ? "::1" : "127.0.0.1") : parsed->host;
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
      throw std::runtime_error("socket '" + spec + "': the port must be a number (inet:PORT@HOST)");
    }
    addrinfo hints{};
    hints.ai_family = v6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      throw std::runtime_error("socket '" + spec + "': cannot resolve '" + host +
                               "': " + ::gai_strerror(rc));
    }
    endpoint.family_ = found->ai_family;
    endpoint.length_ = found->ai_addrlen;
    std::memcpy(&endpoint.address_, found->ai_addr, found->ai_addrlen);
    ::freeaddrinfo(found);
    return endpoint;
  } else {
    throw std::runtime_error("socket '" + spec +
                             "': expected unix:/path, local:/path, inet:PORT@HOST or inet6:PORT@HOST");
  }
  sockaddr_un un{};
  if (path.empty() || path.size() >= sizeof(un.sun_path)) {
    throw std::runtime_error("socket '" + spec + "': the path is empty or longer than " +
                             std::to_string(sizeof(un.sun_path) - 1) + " bytes");
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  endpoint.family_ = AF_UNIX;
  endpoint.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  std::memcpy(&endpoint.address_, &un, sizeof(un));
  return endpoint;
}

MilterSocket::MilterSocket(const Endpoint& endpoint, std::chrono::milliseconds timeout)
    : in_(64 * 1024) {
  fd_ = ::socket(endpoint.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw system_error("socket");
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (endpoint.family() != AF_UNIX) {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  while (::connect(fd_, endpoint.address(), endpoint.address_length()) != 0) {
    if (errno == EINTR) continue;
    const auto error = system_error("connect " + endpoint.spec());
    ::close(fd_);
    throw error;
  }
}

MilterSocket::~MilterSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void MilterSocket::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw system_error("write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void MilterSocket::send_packet(char code, std::string_view payload) {
  std::string head;
  milter::append_u32(head, static_cast<std::uint32_t>(payload.size() + 1));
  head += code;
  std::array<iovec, 2> parts{{{head.data(), head.size()},
                              {const_cast<char*>(payload.data()), payload.size()}}};
  std::size_t first = 0;
  while (first < parts.size()) {
    const ssize_t n = ::writev(fd_, &parts[first], static_cast<int>(parts.size() - first));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw system_error("write");
    }
    auto left = static_cast<std::size_t>(n);
    while (first < parts.size() && left >= parts[first].iov_len) {
      left -= parts[first].iov_len;
      ++first;
    }
    if (first < parts.size()) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
      parts[first].iov_len -= left;
    }
  }
}

void MilterSocket::fill() {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  } else if (in_begin_ > 0) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_end_ == in_.size()) in_.resize(in_.size() * 2);
  for (;;) {
    const ssize_t n = ::read(fd_, in_.data() + in_end_, in_.size() - in_end_);
    if (n > 0) {
      in_end_ += static_cast<std::size_t>(n);
      return;
    }
    if (n == 0) throw std::runtime_error("the filter closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) throw std::runtime_error("timeout waiting for the filter");
    throw system_error("read");
  }
}

Reply MilterSocket::read_reply() {
  while (in_end_ - in_begin_ < 4) fill();
  const std::uint32_t length =
      milter::read_u32(std::string_view(in_.data() + in_begin_, 4), 0);
  if (length == 0 || length > max_reply_length) {
    throw std::runtime_error("malformed reply length " + std::to_string(length));
  }
  while (in_end_ - in_begin_ < 4 + length) fill();
  Reply reply;
  reply.code = in_[in_begin_ + 4];
  reply.data.assign(in_.data() + in_begin_ + 5, length - 1);
  in_begin_ += 4 + length;
  return reply;
}

}  // namespace qmilter::bench
