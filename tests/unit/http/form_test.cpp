#include <gtest/gtest.h>

#include "core/http/http_exchange.hpp"

namespace qmilter::http {
namespace {

TEST(Form, DecodesFields) {
  auto form = parse_form("csrf=a%2Bb&action=release&note=two+words&empty=");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->at("csrf"), "a+b");
  EXPECT_EQ(form->at("action"), "release");
  EXPECT_EQ(form->at("note"), "two words");
  EXPECT_EQ(form->at("empty"), "");
  EXPECT_TRUE(parse_form(""));
}

TEST(Form, RefusesWhatIsNotAForm) {
  EXPECT_FALSE(parse_form("action"));              // no '='
  EXPECT_FALSE(parse_form("action=%zz"));          // bad escape
  EXPECT_FALSE(parse_form("action=%4"));           // cut escape
  EXPECT_FALSE(parse_form("a=1&a=2"));             // repeated: which one counts?
}

}  // namespace
}  // namespace qmilter::http
