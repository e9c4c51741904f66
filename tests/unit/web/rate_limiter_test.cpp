#include "core/web/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace qmilter::web {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, AllowsTheBudgetThenRefillsOverAMinute) {
  RateLimiter limiter(3);
  const auto start = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("192.0.2.1", start)) << i;
  EXPECT_FALSE(limiter.allow("192.0.2.1", start));
  EXPECT_TRUE(limiter.allow("192.0.2.2", start)) << "each address has its own budget";
  EXPECT_FALSE(limiter.allow("192.0.2.1", start + 10s)) << "a third of a token";
  EXPECT_TRUE(limiter.allow("192.0.2.1", start + 21s));
  EXPECT_FALSE(limiter.allow("192.0.2.1", start + 21s));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("192.0.2.1", start + 10min)) << "full again, never more";
  EXPECT_FALSE(limiter.allow("192.0.2.1", start + 10min));
}

TEST(RateLimiter, ForgetsFullBucketsSoMemoryStaysBounded) {
  RateLimiter limiter(1);
  const auto start = RateLimiter::Clock::now();
  // Fresh addresses at one instant: nothing to forget, and each call stays cheap (this loop
  // took 30 s when every call past the threshold scanned the map).
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 300000; ++i) limiter.allow("198.51.100." + std::to_string(i), start);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 20s);
  // An hour later all those buckets are full again and forgotten; a refused one is kept.
  EXPECT_TRUE(limiter.allow("203.0.113.9", start + 1h));
  EXPECT_FALSE(limiter.allow("203.0.113.9", start + 1h));
}

}  // namespace
}  // namespace qmilter::web
