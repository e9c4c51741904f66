// Cutting a message into chunk rows: sizes, order, the header section, and an empty body.
#include "message_chunks.hpp"

#include <gtest/gtest.h>

#include "qmilter/sdk/testing/fake_message.hpp"

namespace qmilter::quarantine_db {
namespace {

std::vector<std::string> chunks_of(const sdk::MessageView& m, std::size_t size) {
  std::vector<std::string> chunks;
  auto count = write_chunks(
      m,
      [&](std::uint32_t seq, std::string_view bytes) {
        EXPECT_EQ(seq, chunks.size());
        chunks.emplace_back(bytes);
      },
      size);
  EXPECT_TRUE(count.ok());
  if (count.ok()) {
    EXPECT_EQ(count.value().chunks, chunks.size());
  }
  return chunks;
}

TEST(MessageChunks, TheHeaderSectionIsWhatTheFileStoreWrites) {
  sdk::testing::FakeMessage m;
  m.headers_value = {{"Subject", "a\n\tb"}, {"X-Empty", ""}};
  EXPECT_EQ(sdk::stored_header_section(m), "Subject: a\n\tb\nX-Empty: \n\n");
}

TEST(MessageChunks, EveryChunkButTheLastIsFull) {
  sdk::testing::FakeMessage m;
  m.headers_value = {{"A", "1"}};  // "A: 1\n\n" = 6 bytes
  m.body_value = std::string(15, 'b');
  std::vector<std::string> chunks = chunks_of(m, 8);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], "A: 1\n\nbb");
  EXPECT_EQ(chunks[1], std::string(8, 'b'));
  EXPECT_EQ(chunks[2], std::string(5, 'b'));
}

TEST(MessageChunks, AnExactMultipleEndsWithAFullChunk) {
  sdk::testing::FakeMessage m;
  m.headers_value = {};
  m.body_value = std::string(7, 'b');  // "\n" + 7 = 8
  EXPECT_EQ(chunks_of(m, 4).size(), 2u);
}

TEST(MessageChunks, AMessageWithNothingIsOneChunk) {
  sdk::testing::FakeMessage m;
  m.headers_value = {};
  m.body_value = "";
  EXPECT_EQ(chunks_of(m, 4), std::vector<std::string>{"\n"});
}

}  // namespace
}  // namespace qmilter::quarantine_db
