#include "core/http/listen_address.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace qmilter::http {
namespace {

TEST(ListenAddress, ParsesIpv4AndBracketedIpv6) {
  auto v4 = parse_listen_address("127.0.0.1:8025");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4.value().address.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&v4.value().address)->sin_port), 8025);
  auto v6 = parse_listen_address("[::1]:443");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6.value().address.ss_family, AF_INET6);
}

TEST(ListenAddress, RefusesWithTheReason) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x",
                          "localhost:8025", "::1:8025", "[::1]", "[nope]:80", ":8025"}) {
    auto parsed = parse_listen_address(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find(std::string("'") + bad + "'"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace qmilter::http
