// ignore_hosts: a set of IPv4/IPv6 hosts and CIDR networks, parsed once at load.
// An IPv4-mapped IPv6 client (::ffff:192.0.2.1) matches IPv4 entries. Immutable; shareable.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qmilter::core {

class HostSetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HostSet {
 public:
  HostSet() = default;
  // Items like "10.0.0.0/8", "192.0.2.7", "2001:db8::/32". Throws HostSetError naming the
  // item that is not an address or network.
  explicit HostSet(const std::vector<std::string>& items);

  bool empty() const noexcept { return networks_.empty(); }
  // Whether the textual address (IPv4 or IPv6) lies in one of the networks.
  bool contains(std::string_view address) const;

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 stored as IPv4-mapped IPv6
    unsigned prefix = 128;
  };
  std::vector<Network> networks_;
};

}  // namespace qmilter::core
