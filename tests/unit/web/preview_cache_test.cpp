#include "core/web/preview_cache.hpp"

#include <gtest/gtest.h>

namespace qmilter::web {
namespace {

CachedPreview preview(std::string html, std::string attachments = {}) { return {std::move(html), std::move(attachments)}; }

TEST(PreviewCache, FindsWhatWasPutByQuarantineAndId) {
  PreviewCache cache(4, 1000);
  cache.put("spam", "id1", preview("<p>one</p>", "<ul><li>a.pdf</li></ul>"));
  const std::optional<CachedPreview> found = cache.find("spam", "id1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->html, "<p>one</p>");
  EXPECT_EQ(found->attachments_html, "<ul><li>a.pdf</li></ul>");
  EXPECT_FALSE(cache.find("virus", "id1")) << "another quarantine's entry of the same id";
  EXPECT_FALSE(cache.find("spam", "id2"));
}

TEST(PreviewCache, DropsTheLeastRecentlyUsedPastItsBounds) {
  PreviewCache cache(2, 1000);
  cache.put("q", "a", preview("A"));
  cache.put("q", "b", preview("B"));
  EXPECT_TRUE(cache.find("q", "a"));  // a is now the most recent
  cache.put("q", "c", preview("C"));
  EXPECT_TRUE(cache.find("q", "a"));
  EXPECT_FALSE(cache.find("q", "b"));
  EXPECT_TRUE(cache.find("q", "c"));

  PreviewCache small(10, 10);
  small.put("q", "a", preview(std::string(6, 'a')));
  small.put("q", "b", preview(std::string(6, 'b')));
  EXPECT_FALSE(small.find("q", "a")) << "bytes bound";
  EXPECT_TRUE(small.find("q", "b"));
  small.put("q", "huge", preview(std::string(11, 'h')));
  EXPECT_FALSE(small.find("q", "huge")) << "larger than the whole cache: not kept";
  EXPECT_TRUE(small.find("q", "b"));
  small.put("q", "split", preview(std::string(6, 's'), std::string(5, 'l')));
  EXPECT_FALSE(small.find("q", "split")) << "the attachment list counts towards the bytes";
}

}  // namespace
}  // namespace qmilter::web
