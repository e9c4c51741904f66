// The SDK's byte-level text rules: ASCII-only case folding and RFC 3629 UTF-8 validity.
#include "qmilter/sdk/text.hpp"

#include <gtest/gtest.h>

namespace qmilter::sdk {
namespace {

TEST(AsciiLower, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower("User@Example.COM"), "user@example.com");
  EXPECT_EQ(ascii_lower("\xC3\x84rger"), "\xC3\x84rger");  // Ä stays: only A-Z change
  EXPECT_EQ(ascii_lower("[]@^_`{"), "[]@^_`{");            // the neighbours of A-Z and a-z
  EXPECT_EQ(ascii_lower(""), "");
}

TEST(AsciiIequals, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(ascii_iequals("UTF-8", "utf-8"));
  EXPECT_FALSE(ascii_iequals("utf-8", "utf-16"));
  EXPECT_FALSE(ascii_iequals("\xC3\xA4", "\xC3\x84"));  // ä and Ä differ: not ASCII
  EXPECT_TRUE(ascii_iequals("", ""));
}

TEST(Utf8SequenceLength, AcceptsEachValidLength) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8_sequence_length("\xC2\x80", 0), 2u);              // U+0080
  EXPECT_EQ(utf8_sequence_length("\xE0\xA0\x80", 0), 3u);          // U+0800
  EXPECT_EQ(utf8_sequence_length("\xED\x9F\xBF", 0), 3u);          // U+D7FF, below the surrogates
  EXPECT_EQ(utf8_sequence_length("\xF0\x90\x80\x80", 0), 4u);      // U+10000
  EXPECT_EQ(utf8_sequence_length("\xF4\x8F\xBF\xBF", 0), 4u);      // U+10FFFF
  EXPECT_EQ(utf8_sequence_length("x\xE2\x82\xAC", 1), 3u);         // the euro sign after an x
}

TEST(Utf8SequenceLength, RefusesWhatRfc3629Forbids) {
  EXPECT_EQ(utf8_sequence_length("\x80", 0), 0u);                  // a stray continuation byte
  EXPECT_EQ(utf8_sequence_length("\xC0\xAF", 0), 0u);              // overlong '/'
  EXPECT_EQ(utf8_sequence_length("\xC1\xBF", 0), 0u);              // overlong
  EXPECT_EQ(utf8_sequence_length("\xE0\x9F\xBF", 0), 0u);          // overlong 3-byte form
  EXPECT_EQ(utf8_sequence_length("\xED\xA0\x80", 0), 0u);          // a surrogate
  EXPECT_EQ(utf8_sequence_length("\xF0\x8F\xBF\xBF", 0), 0u);      // overlong 4-byte form
  EXPECT_EQ(utf8_sequence_length("\xF4\x90\x80\x80", 0), 0u);      // past U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\xF5\x80\x80\x80", 0), 0u);      // no lead byte past F4
  EXPECT_EQ(utf8_sequence_length("\xFF", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("\xE2\x82", 0), 0u);              // cut short by the end
  EXPECT_EQ(utf8_sequence_length("\xE2\x28\xA1", 0), 0u);          // not a continuation byte
}

TEST(IsValidUtf8, ChecksTheWholeText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("ok \xC3"));
  EXPECT_FALSE(is_valid_utf8("caf\xE9"));  // Latin-1
}

}  // namespace
}  // namespace qmilter::sdk
