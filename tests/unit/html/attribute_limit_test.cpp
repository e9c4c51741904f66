// limit_attributes(): counts attributes as HTML tokenizes them and cuts only past the limit.
#include <gtest/gtest.h>

#include "core/html/attribute_limit.hpp"

namespace qmilter::html {
namespace {

std::string limited(std::string_view html, std::size_t max) {
  bool changed = false;
  std::string out = limit_attributes(html, max, changed);
  return changed ? out : std::string(html);
}

TEST(LimitAttributes, LeavesTagsWithinTheLimitAlone) {
  bool changed = true;
  EXPECT_EQ(limit_attributes("<p a=1 b='2' c=\"3\" d>x</p>", 4, changed), "");
  EXPECT_FALSE(changed);
}

TEST(LimitAttributes, CutsFromTheFirstAttributeOverTheLimitToTheTagEnd) {
  EXPECT_EQ(limited("<p a=1 b=2 c=3 d=4>x</p><b e=5>y</b>", 2), "<p a=1 b=2 >x</p><b e=5>y</b>");
  EXPECT_EQ(limited("<img src=\"a b > c\" alt=x title=y>", 1), "<img src=\"a b > c\" >");
}

TEST(LimitAttributes, QuotedValuesAndBareNamesCountOnce) {
  EXPECT_EQ(limited("<p a = \"x y z\" b c='1 2'>", 3), "<p a = \"x y z\" b c='1 2'>");
  EXPECT_EQ(limited("<p a b c d>", 2), "<p a b >");
}

TEST(LimitAttributes, IgnoresWhatIsNotAStartTag) {
  EXPECT_EQ(limited("a < b = c = d </p> <!-- x=1 y=2 -->", 1), "a < b = c = d </p> <!-- x=1 y=2 -->");
}

}  // namespace
}  // namespace qmilter::html
