#include "core/web/rate_limiter.hpp"

#include <algorithm>

namespace qmilter::web {
namespace {

// Past this many addresses the full buckets are dropped (a full bucket is what a new one
// is); the next pruning waits until the map has doubled, so a flood of fresh addresses
// costs amortised constant time per request, not a scan each.
constexpr std::size_t prune_above = 10000;
// A flood of more addresses than this (IPv6 makes them cheap) resets every budget rather
// than grow without bound.
constexpr std::size_t max_buckets = 200000;

}  // namespace

bool RateLimiter::allow(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= next_prune_) {
    forget_full_buckets(now);
    if (buckets_.size() >= max_buckets) buckets_.clear();
    next_prune_ = std::max(prune_above, 2 * buckets_.size());
  }
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{per_minute_, now});
  Bucket& bucket = it->second;
  if (!fresh) {
    const double minutes = std::chrono::duration<double, std::ratio<60>>(now - bucket.updated).count();
    bucket.tokens = std::min(per_minute_, bucket.tokens + std::max(0.0, minutes) * per_minute_);
    bucket.updated = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

void RateLimiter::forget_full_buckets(Clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& item) {
    const double minutes = std::chrono::duration<double, std::ratio<60>>(now - item.second.updated).count();
    return item.second.tokens + minutes * per_minute_ >= per_minute_;
  });
}

}  // namespace qmilter::web
