// libmilter's socket syntax as the loader, the daemon and the load generator read it.
#include "core/config/milter_socket.hpp"

#include <gtest/gtest.h>

namespace qmilter::core {
namespace {

TEST(MilterSocket, UnixFormsGiveThePath) {
  for (const auto& [spec, prefix, path] : {std::tuple{"unix:/run/q.sock", "unix:", "/run/q.sock"},
                                           std::tuple{"local:/run/q.sock", "local:", "/run/q.sock"},
                                           std::tuple{"/run/q.sock", "", "/run/q.sock"},
                                           std::tuple{"unix:q.sock", "unix:", "q.sock"}}) {
    auto socket = parse_milter_socket(spec);
    ASSERT_TRUE(socket) << spec;
    EXPECT_EQ(socket->family, MilterSocket::Family::unix_path) << spec;
    EXPECT_EQ(socket->prefix, prefix) << spec;
    EXPECT_EQ(socket->path, path) << spec;
  }
}

TEST(MilterSocket, InetFormsGivePortAndHost) {
  auto v4 = parse_milter_socket("inet:8890@127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, MilterSocket::Family::inet);
  EXPECT_EQ(v4->port, "8890");
  EXPECT_EQ(v4->host, "127.0.0.1");
  auto v6 = parse_milter_socket("inet6:8890");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, MilterSocket::Family::inet6);
  EXPECT_EQ(v6->port, "8890");
  EXPECT_EQ(v6->host, "");
}

TEST(MilterSocket, OtherTextIsNoSocket) {
  for (const char* spec : {"", "q.sock", "tcp:8890@localhost", "Unix:/run/q.sock"}) {
    EXPECT_FALSE(parse_milter_socket(spec)) << spec;
  }
}

}  // namespace
}  // namespace qmilter::core
