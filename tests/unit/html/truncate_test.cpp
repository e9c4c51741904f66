// truncate_fragment(): cuts on token and character boundaries and closes what it opened.
#include <gtest/gtest.h>

#include "core/html/truncate.hpp"

namespace qmilter::html {
namespace {

constexpr std::string_view kMarker = "<p>[cut]</p>";

TEST(TruncateFragment, LeavesAFittingFragmentAlone) {
  EXPECT_EQ(truncate_fragment("<b>x</b>", 8, kMarker, false), "<b>x</b>");
}

TEST(TruncateFragment, AddsTheMarkerWhenTheInputWasCutEarlier) {
  EXPECT_EQ(truncate_fragment("<b>x</b>", 100, kMarker, true), "<b>x</b><p>[cut]</p>");
}

TEST(TruncateFragment, ClosesOpenElementsAndStaysWithinTheBudget) {
  const std::string fragment = "<div><b>hello world</b> and more text</div>";
  const std::string cut = truncate_fragment(fragment, 35, kMarker, false);
  EXPECT_EQ(cut, "<div><b>hello</b></div><p>[cut]</p>");  // exactly 35 bytes
  EXPECT_LE(cut.size(), 35u);
}

TEST(TruncateFragment, NeverSplitsAnEntityOrACharacter) {
  EXPECT_EQ(truncate_fragment("a&amp;b\xC3\xA9\xC3\xA9\xC3\xA9", 12, "[c]", false), "a&amp;b\xC3\xA9[c]");
  EXPECT_EQ(truncate_fragment("ab&amp;cd", 7, "[c]", false), "ab[c]");
}

TEST(TruncateFragment, VoidElementsNeedNoClosingTag) {
  EXPECT_EQ(truncate_fragment("a<br/>b<br/>c<br/>d", 11, "[c]", false), "a<br/>b[c]");
}

TEST(TruncateFragment, TinyBudgetGivesAtMostTheBudget) {
  EXPECT_LE(truncate_fragment("<b>hello</b>", 3, kMarker, false).size(), 3u);
}

TEST(Truncate, ATextBudgetCountsWhatIsSeenNotTheMarkup) {
  const std::string styled = "<p style=\"color:#333\">ab</p><p style=\"color:#333\">cd</p><p>ef</p>";
  EXPECT_EQ(truncate_fragment(styled, 1000, "[c]", false, 6), styled);
  EXPECT_EQ(truncate_fragment(styled, 1000, "[c]", false, 4),
            "<p style=\"color:#333\">ab</p><p style=\"color:#333\">cd</p><p></p>[c]");
  EXPECT_EQ(truncate_fragment("a&amp;b\xC3\xA9" "c", 1000, "[c]", false, 5), "a&amp;b\xC3\xA9[c]");
  // The byte cap still holds whatever the text budget allows.
  EXPECT_LE(truncate_fragment(styled, 40, "[c]", false, 1000).size(), 40u);
}

}  // namespace
}  // namespace qmilter::html
