// [global] web_listen: "host:port" with a numeric IPv4 address or a bracketed IPv6 one
// ("127.0.0.1:8025", "[::1]:8025", "0.0.0.0:8025"). Numeric only: a name that resolves
// differently tomorrow is not where a service should listen.
#pragma once

#include <sys/socket.h>

#include <string>

#include "qmilter/sdk/result.hpp"

namespace qmilter::http {

struct ListenAddress {
  sockaddr_storage address{};
  socklen_t size = 0;
  std::string text;  // as given, for logs
};

sdk::Result<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace qmilter::http
