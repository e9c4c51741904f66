#include "core/rules/host_set.hpp"

#include <arpa/inet.h>

#include <optional>

namespace qmilter::core {
namespace {

// Parses an IPv4 or IPv6 address into 16 bytes (IPv4 as ::ffff:a.b.c.d); returns whether
// it was IPv4.
std::optional<std::pair<std::array<std::uint8_t, 16>, bool>> parse_address(const std::string& text) {
  std::array<std::uint8_t, 16> bytes{};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v4.s_addr);
    std::copy(p, p + 4, bytes.begin() + 12);
    return std::make_pair(bytes, true);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::copy(v6.s6_addr, v6.s6_addr + 16, bytes.begin());
    return std::make_pair(bytes, false);
  }
  return std::nullopt;
}

bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned prefix) {
  unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i) {
    if (a[i] != b[i]) return false;
  }
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

HostSet::HostSet(const std::vector<std::string>& items) {
  for (const std::string& item : items) {
    std::string address = item;
    std::optional<unsigned> prefix;
    if (auto slash = item.find('/'); slash != std::string::npos) {
      address = item.substr(0, slash);
      std::string digits = item.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos) {
        throw HostSetError("'" + item + "' has an invalid prefix length");
      }
      prefix = static_cast<unsigned>(std::stoul(digits));
    }
    auto parsed = parse_address(address);
    if (!parsed) throw HostSetError("'" + item + "' is not an IPv4 or IPv6 address or network");
    auto [bytes, is_v4] = *parsed;
    unsigned max = is_v4 ? 32 : 128;
    if (prefix && *prefix > max) throw HostSetError("'" + item + "' has a prefix longer than " + std::to_string(max));
    Network network;
    network.bytes = bytes;
    network.prefix = (is_v4 ? 96 : 0) + prefix.value_or(max);
    // A network given with host bits set (10.1.2.3/8) means the network; Python's netaddr
    // accepted it the same way.
    networks_.push_back(network);
  }
}

bool HostSet::contains(std::string_view address) const {
  if (networks_.empty()) return false;
  auto parsed = parse_address(std::string(address));
  if (!parsed) return false;
  for (const Network& network : networks_) {
    if (prefix_equal(parsed->first, network.bytes, network.prefix)) return true;
  }
  return false;
}

}  // namespace qmilter::core
