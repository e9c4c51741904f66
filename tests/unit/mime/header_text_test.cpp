#include "core/mime/header_text.hpp"

#include <gtest/gtest.h>

namespace qmilter::mime {
namespace {

TEST(PrefixedSubject, AsciiPrefixGoesInFrontAsItIs) {
  EXPECT_EQ(prefixed_subject("[SPAM]", "Cheap pills"), "[SPAM] Cheap pills");
  EXPECT_EQ(prefixed_subject("[SPAM]", "=?UTF-8?B?R3LDvMOfZQ==?="), "[SPAM] =?UTF-8?B?R3LDvMOfZQ==?=");
  EXPECT_EQ(prefixed_subject("[SPAM]", ""), "[SPAM]");
}

TEST(PrefixedSubject, AnEncodedPrefixKeepsItsSpaceBeforeAnEncodedOriginal) {
  // Readers drop the white space between two encoded words: the space must be encoded.
  const std::string before_encoded = prefixed_subject("[SP\u00c4M]", "=?UTF-8?B?R3LDvMOfZQ==?=");
  EXPECT_EQ(decode_header_value(before_encoded), "[SP\u00c4M] Gr\u00fc\u00dfe");
  const std::string before_plain = prefixed_subject("[SP\u00c4M]", "plain");
  EXPECT_EQ(decode_header_value(before_plain), "[SP\u00c4M] plain");
  EXPECT_EQ(decode_header_value(prefixed_subject("[SP\u00c4M]", "")), "[SP\u00c4M]");
  for (const std::string& value : {before_encoded, before_plain}) {
    for (unsigned char c : value) EXPECT_LT(c, 0x80) << value;
  }
}

TEST(PrefixedSubject, TextThatLooksEncodedIsEncoded) {
  EXPECT_FALSE(is_plain_ascii("=?x?"));
  EXPECT_EQ(decode_header_value(prefixed_subject("=?not?=", "a")), "=?not?= a");
}

}  // namespace
}  // namespace qmilter::mime
