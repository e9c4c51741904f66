// Making db quarantine ids (see the header).
#include "db_entry_id.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <system_error>

#include "qmilter/sdk/entry_id.hpp"

namespace qmilter::quarantine_db {
namespace {

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// 64 bits from the kernel's generator, drawn per id: two hosts (or two threads) that store
// the same queue id in the same second still differ here. Not a generator seeded per
// thread: libmilter runs each connection on a thread of its own, so seeding one cost a
// random_device and a seed_seq for every message.
std::uint64_t random_bits() {
  std::uint64_t bits = 0;
  // Up to 256 bytes getrandom() returns in full once the kernel's pool is ready.
  if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits)) {
    throw std::system_error(errno, std::generic_category(), "getrandom");
  }
  return bits;
}

constexpr std::size_t random_suffix_length = 17;  // "_" and 16 hex digits

}  // namespace

std::string make_entry_id(std::int64_t unix_time, std::string_view queue_id) {
  std::time_t when = static_cast<std::time_t>(unix_time);
  std::tm local{};
  localtime_r(&when, &local);
  char stamp[32];
  std::string id(stamp, std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &local));
  id += '_';
  for (char c : queue_id) id += is_plain_char(c) ? c : '_';
  if (id.size() > sdk::max_entry_id_length - random_suffix_length) id.resize(sdk::max_entry_id_length - random_suffix_length);
  char suffix[random_suffix_length + 1];
  std::snprintf(suffix, sizeof suffix, "_%016llx", static_cast<unsigned long long>(random_bits()));
  return id + suffix;
}

}  // namespace qmilter::quarantine_db
