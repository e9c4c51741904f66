// One MTA-side connection to a milter: socket address parsing in libmilter's syntax
// (unix:/path, local:/path, inet:PORT@HOST, inet6:PORT@HOST), blocking writes and a
// buffered reader of reply packets. A MilterSocket belongs to one thread; an Endpoint is
// immutable after parse and shared by all of them. Errors throw std::runtime_error.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace qmilter::bench {

// Where the filter listens, resolved once at start.
class Endpoint {
 public:
  // Parses "unix:/path", "local:/path", "/path", "inet:PORT@HOST" or "inet6:PORT@HOST".
  static Endpoint parse(const std::string& spec);

  const std::string& spec() const { return spec_; }
  int family() const { return family_; }
  const sockaddr* address() const { return reinterpret_cast<const sockaddr*>(&address_); }
  socklen_t address_length() const { return length_; }

 private:
  std::string spec_;
  int family_ = AF_UNSPEC;
  sockaddr_storage address_{};
  socklen_t length_ = 0;
};

// One reply packet: its code and data.
struct Reply {
  char code = 0;
  std::string data;
};

class MilterSocket {
 public:
  MilterSocket(const Endpoint& endpoint, std::chrono::milliseconds timeout);
  ~MilterSocket();
  MilterSocket(const MilterSocket&) = delete;
  MilterSocket& operator=(const MilterSocket&) = delete;

  // Writes all bytes (one write call in the common case, as an MTA flushes one command).
  void send(std::string_view bytes);
  // Writes a packet header and a large payload without copying the payload.
  void send_packet(char code, std::string_view payload);
  // Reads the next reply packet; throws on EOF, timeout or a malformed length.
  Reply read_reply();

 private:
  void fill();

  int fd_ = -1;
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
};

}  // namespace qmilter::bench
