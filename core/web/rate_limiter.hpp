// How many actions one client address may take: a token bucket per address that holds
// `per_minute` tokens and refills at that rate. Memory stays bounded whatever the number of
// addresses: buckets that are full again are forgotten, and a flood of addresses resets
// them all. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace qmilter::web {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(std::int64_t per_minute) : per_minute_(static_cast<double>(per_minute)) {}

  // Takes a token for `client`; false when its bucket is empty (the request is refused).
  bool allow(const std::string& client, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void forget_full_buckets(Clock::time_point now);

  const double per_minute_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::size_t next_prune_ = 10000;  // map size at which full buckets are next dropped
};

}  // namespace qmilter::web
