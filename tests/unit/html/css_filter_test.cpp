// The style check: normalisation first, then the dangerous tokens.
#include <gtest/gtest.h>

#include "core/html/css_filter.hpp"

namespace qmilter::html {
namespace {

TEST(NormalizeCss, DecodesEscapesDropsCommentsAndSpaceLowercases) {
  EXPECT_EQ(normalize_css("Color : RED"), "color:red");
  EXPECT_EQ(normalize_css("a/* x */b"), "ab");
  EXPECT_EQ(normalize_css("\\65 x\\70 r"), "expr");
  EXPECT_EQ(normalize_css("\\000075rl"), "url");
  EXPECT_EQ(normalize_css("u\\rl"), "url");
  EXPECT_EQ(normalize_css("\xEF\xBD\x85\xEF\xBD\x98"), "ex");  // full-width "ex"
  EXPECT_EQ(normalize_css("a/* unterminated"), "a");
}

TEST(StyleIsSafe, KeepsPresentationalCss) {
  EXPECT_TRUE(style_is_safe("color:#333; font-family: Arial, sans-serif; font-size:14px"));
  EXPECT_TRUE(style_is_safe("border:1px solid #ccc;background-color:white"));
  EXPECT_TRUE(style_is_safe(""));
}

TEST(StyleIsSafe, RejectsEveryDangerousForm) {
  for (const char* style :
       {"background:url(x)", "background: URL ( x )", "width:expression(1)", "x:e\\78pression(1)",
        "@import 'x'", "behavior:url(x.htc)", "x:javascript:alert(1)", "-moz-binding:url(x)",
        "background-image:image-set('x' 1x)", "position:fixed", "position: ABSOLUTE", "b\\65havior:x",
        "ur\\\nl(x)", "u/**/rl(x)"}) {
    EXPECT_FALSE(style_is_safe(style)) << style;
  }
}

}  // namespace
}  // namespace qmilter::html
