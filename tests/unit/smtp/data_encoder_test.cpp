// CRLF normalisation and dot-stuffing of the DATA section, across chunk boundaries.
#include "core/smtp/data_encoder.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace qmilter::smtp {
namespace {

std::string encode(const std::vector<std::string>& chunks) {
  DataEncoder encoder;
  std::string out;
  for (const auto& chunk : chunks) encoder.feed(chunk, out);
  encoder.finish(out);
  return out;
}

TEST(DataEncoder, CrlfLinesPassUnchangedExceptTheLastLineEnd) {
  EXPECT_EQ(encode({"a\r\nb\r\n"}), "a\r\nb");
}

TEST(DataEncoder, LfAndBareCrBecomeCrlf) {
  EXPECT_EQ(encode({"a\nb\rc\r\n"}), "a\r\nb\r\nc");
}

TEST(DataEncoder, EmptyLinesAreKept) {
  EXPECT_EQ(encode({"h: v\n\nbody\r\n\r\n"}), "h: v\r\n\r\nbody\r\n");
}

TEST(DataEncoder, LinesStartingWithADotGetASecondOne) {
  EXPECT_EQ(encode({".first\r\nmid.dle\r\n.\r\n..two\r\n"}), "..first\r\nmid.dle\r\n..\r\n...two");
}

TEST(DataEncoder, StateCarriesAcrossChunks) {
  EXPECT_EQ(encode({"a\r", "\n.b\r", "\n", ".", "c\n"}), "a\r\n..b\r\n..c");
  EXPECT_EQ(encode({"a\r", "b"}), "a\r\nb");
}

TEST(DataEncoder, MessageWithoutFinalLineEndIsSentAsIs) {
  EXPECT_EQ(encode({"no newline"}), "no newline");
  EXPECT_EQ(encode({"ends with cr\r"}), "ends with cr");
}

}  // namespace
}  // namespace qmilter::smtp
