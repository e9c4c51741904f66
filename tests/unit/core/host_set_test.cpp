// ignore_hosts: IPv4 and IPv6 hosts and networks.
#include <gtest/gtest.h>

#include "core/rules/host_set.hpp"

namespace qmilter::core {
namespace {

TEST(HostSet, MatchesHostsAndNetworksOfBothFamilies) {
  HostSet hosts({"192.0.2.7", "10.0.0.0/8", "2001:db8::/32", "::1", "172.16.5.4/12"});
  EXPECT_TRUE(hosts.contains("192.0.2.7"));
  EXPECT_FALSE(hosts.contains("192.0.2.8"));
  EXPECT_TRUE(hosts.contains("10.200.1.1"));
  EXPECT_FALSE(hosts.contains("11.0.0.1"));
  EXPECT_TRUE(hosts.contains("2001:db8:ffff::1"));
  EXPECT_FALSE(hosts.contains("2001:db9::1"));
  EXPECT_TRUE(hosts.contains("::1"));
  EXPECT_TRUE(hosts.contains("172.31.255.255"));  // host bits in the network are ignored
  EXPECT_FALSE(hosts.contains("172.32.0.0"));
}

TEST(HostSet, IPv4MappedClientsMatchIPv4Networks) {
  HostSet hosts({"127.0.0.0/8"});
  EXPECT_TRUE(hosts.contains("::ffff:127.0.0.2"));
}

TEST(HostSet, UnparsableClientOrEmptySetMatchesNothing) {
  EXPECT_FALSE(HostSet({"0.0.0.0/0"}).contains(""));
  EXPECT_FALSE(HostSet().contains("127.0.0.1"));
  EXPECT_TRUE(HostSet({"0.0.0.0/0"}).contains("8.8.8.8"));
}

TEST(HostSet, RefusesWhatIsNotAnAddress) {
  EXPECT_THROW(HostSet({"example.com"}), HostSetError);
  EXPECT_THROW(HostSet({"10.0.0.0/"}), HostSetError);
  EXPECT_THROW(HostSet({"10.0.0.0/x"}), HostSetError);
  EXPECT_THROW(HostSet({"::/129"}), HostSetError);
}

}  // namespace
}  // namespace qmilter::core
