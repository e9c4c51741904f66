// style_subset(): what a preview keeps of an inline style — how the text looks, not the
// layout — and that what it keeps is safe and stable.
#include <gtest/gtest.h>

#include "core/html/css_filter.hpp"
#include "core/html/sanitizer.hpp"
#include "core/html/style_subset.hpp"

namespace qmilter::html {
namespace {

TEST(StyleSubset, KeepsHowTheTextLooksAndDropsTheLayout) {
  EXPECT_EQ(style_subset("padding:0 0 10px 0; Color: #333 ; font-family:Arial,sans-serif;FONT-WEIGHT:bold;"
                         "mso-line-height-rule:exactly;line-height:20px;width:600px"),
            "color:#333;font-weight:bold");
  EXPECT_EQ(style_subset("display:none;max-height:0;overflow:hidden"), "display:none");
  EXPECT_EQ(style_subset("margin:0;padding:0"), "");
}

TEST(StyleSubset, ParenthesesKeepTheirSemicolonsAndCommas) {
  EXPECT_EQ(style_subset("color:rgb(1, 2, 3);background-color:rgba(0,0,0,.5)"),
            "color:rgb(1, 2, 3);background-color:rgba(0,0,0,.5)");
}

TEST(StyleSubset, DropsWhatItWouldHaveToInterpret) {
  EXPECT_EQ(style_subset("font:14px 'Helvetica Neue';color:red"), "color:red");
  EXPECT_EQ(style_subset("color:\\72 ed;font-weight:bold"), "font-weight:bold");
  EXPECT_EQ(style_subset("color:red/**/;font-style:italic"), "font-style:italic");
  EXPECT_EQ(style_subset("background:url(http://t.example/x.gif);color:red"), "color:red");
  EXPECT_EQ(style_subset("background:#fff " + std::string(80, 'x')), "");
}

TEST(StyleSubset, IsStableAndSafe) {
  for (const std::string input : {"font:small monospace;color:#555;background:#fff", "color : red ; ; :x; y",
                                  "color:red;COLOR:blue", "background:expression(alert(1))"}) {
    const std::string once = style_subset(input);
    EXPECT_EQ(style_subset(once), once) << input;
    EXPECT_TRUE(style_is_safe(once)) << input;
  }
}

TEST(StyleSubset, TheSanitizerKeepsOnlyTheSubsetUnlessAskedForTheLayout) {
  EXPECT_EQ(sanitize("<p style=\"padding:20px;color:#333;font-family:Arial\">x</p>", {}).html,
            "<p style=\"color:#333\">x</p>");
  EXPECT_EQ(sanitize("<p style=\"padding:20px;color:#333\">x</p>", {.keep_layout_styles = true}).html,
            "<p style=\"padding:20px;color:#333\">x</p>");
}

}  // namespace
}  // namespace qmilter::html
