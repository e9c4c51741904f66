#include "core/web/preview_cache.hpp"

#include <gtest/gtest.h>

namespace qmilter::web {
namespace {

TEST(PreviewCache, FindsWhatWasPutByQuarantineAndId) {
  PreviewCache cache(4, 1000);
  cache.put("spam", "id1", "<p>one</p>");
  EXPECT_EQ(cache.find("spam", "id1"), "<p>one</p>");
  EXPECT_FALSE(cache.find("virus", "id1")) << "another quarantine's entry of the same id";
  EXPECT_FALSE(cache.find("spam", "id2"));
}

TEST(PreviewCache, DropsTheLeastRecentlyUsedPastItsBounds) {
  PreviewCache cache(2, 1000);
  cache.put("q", "a", "A");
  cache.put("q", "b", "B");
  EXPECT_TRUE(cache.find("q", "a"));  // a is now the most recent
  cache.put("q", "c", "C");
  EXPECT_TRUE(cache.find("q", "a"));
  EXPECT_FALSE(cache.find("q", "b"));
  EXPECT_TRUE(cache.find("q", "c"));

  PreviewCache small(10, 10);
  small.put("q", "a", std::string(6, 'a'));
  small.put("q", "b", std::string(6, 'b'));
  EXPECT_FALSE(small.find("q", "a")) << "bytes bound";
  EXPECT_TRUE(small.find("q", "b"));
  small.put("q", "huge", std::string(11, 'h'));
  EXPECT_FALSE(small.find("q", "huge")) << "larger than the whole cache: not kept";
  EXPECT_TRUE(small.find("q", "b"));
}

}  // namespace
}  // namespace qmilter::web
