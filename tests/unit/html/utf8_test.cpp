// UTF-8 repair.
#include <gtest/gtest.h>

#include "core/html/utf8.hpp"

namespace qmilter::html {
namespace {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

TEST(RepairUtf8, KeepsValidText) {
  const std::string text = "ascii \xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80";
  EXPECT_EQ(repair_utf8(text, Utf8Repair::sequences_only), text);
}

TEST(RepairUtf8, ReplacesInvalidSequences) {
  EXPECT_EQ(repair_utf8("a\xC0\xAF" "b", Utf8Repair::sequences_only), "a" + std::string(kFffd) + std::string(kFffd) + "b");
  EXPECT_EQ(repair_utf8("\xED\xA0\x80", Utf8Repair::sequences_only), std::string(kFffd) + std::string(kFffd) + std::string(kFffd));
  EXPECT_EQ(repair_utf8("x\xE4\xB8", Utf8Repair::sequences_only), "x" + std::string(kFffd) + std::string(kFffd));
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80", Utf8Repair::sequences_only).substr(0, 3), kFffd);
}

TEST(RepairUtf8, MarkupModeFoldsLineEndsAndControls) {
  EXPECT_EQ(repair_utf8("a\r\nb\rc\td\x01" "e\x0C" "f", Utf8Repair::for_markup), "a\nb\nc\td" + std::string(kFffd) + "e f");
  EXPECT_EQ(repair_utf8("\xEF\xBF\xBF", Utf8Repair::for_markup), kFffd);
  EXPECT_EQ(repair_utf8("a\x01", Utf8Repair::sequences_only), "a\x01");
}

}  // namespace
}  // namespace qmilter::html
