#include <gtest/gtest.h>

#include "core/milter/envelope_address.hpp"

namespace qmilter::core {
namespace {

TEST(EnvelopeAddress, StripsBracketsAndLowerCases) {
  EXPECT_EQ(normalise_envelope_address("<Sender@Example.ORG>"), "sender@example.org");
  EXPECT_EQ(normalise_envelope_address(" <a@b> "), "a@b");
  EXPECT_EQ(normalise_envelope_address("plain@Host"), "plain@host");
  EXPECT_EQ(normalise_envelope_address("<>"), "");
  EXPECT_EQ(normalise_envelope_address(""), "");
}

}  // namespace
}  // namespace qmilter::core
