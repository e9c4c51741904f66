// Bodies stay in memory up to the limit and spill to an unnamed file past it.
#include <gtest/gtest.h>

#include "core/spool/body_buffer.hpp"
#include "test_files.hpp"

namespace qmilter::core {
namespace {

std::string read_all(const BodyBuffer& body) {
  std::string out;
  EXPECT_TRUE(body.read([&](std::string_view chunk) {
                    out.append(chunk);
                    return true;
                  }).ok());
  return out;
}

TEST(BodyBuffer, SmallBodiesStayInMemory) {
  test::ScratchDir dir;
  BodyBuffer body(1024, dir.path().string());
  ASSERT_TRUE(body.append("hello\r\n").ok());
  EXPECT_FALSE(body.spilled());
  EXPECT_EQ(read_all(body), "hello\r\n");
  EXPECT_EQ(read_all(body), "hello\r\n");  // readable more than once
}

TEST(BodyBuffer, LargeBodiesSpillWithoutLeavingFiles) {
  test::ScratchDir dir;
  BodyBuffer body(100, dir.path().string());
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string line = "line " + std::to_string(i) + "\r\n";
    expected += line;
    ASSERT_TRUE(body.append(line).ok());
  }
  EXPECT_TRUE(body.spilled());
  EXPECT_EQ(body.size(), expected.size());
  EXPECT_EQ(read_all(body), expected);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the spill file has no name
}

TEST(BodyBuffer, UnwritableSpoolDirIsAnError) {
  BodyBuffer body(1, "/nonexistent-spool-dir");
  auto status = body.append("more than one byte");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("/nonexistent-spool-dir"), std::string::npos);
}

}  // namespace
}  // namespace qmilter::core
