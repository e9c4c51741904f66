// The SDK's crash-safe write sequence: what a finished, a replaced and an abandoned file
// leave in the directory.
#include "qmilter/sdk/durable_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace qmilter::sdk {
namespace {

namespace fs = std::filesystem;

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qmilter-durable-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    ::close(fd_);
    fs::remove_all(dir_);
  }

  std::vector<std::string> names() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_)) found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    return found;
  }
  std::string text(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  mode_t mode(const std::string& name) const {
    struct stat info {};
    EXPECT_EQ(::stat((dir_ / name).c_str(), &info), 0);
    return info.st_mode & 07777;
  }

  fs::path dir_;
  int fd_ = -1;
};

TEST_F(DurableFileTest, WriteFileDurablyReplacesTheFileWithExactlyTheBytesAndMode) {
  ASSERT_TRUE(write_file_durably(fd_, dir_.string(), "entry", "first", 0640).ok());
  ASSERT_TRUE(write_file_durably(fd_, dir_.string(), "entry", std::string("sec\0nd\r\n", 8), 0600).ok());
  EXPECT_EQ(names(), std::vector<std::string>{"entry"}) << "no temporary file is left";
  EXPECT_EQ(text("entry"), std::string("sec\0nd\r\n", 8));
  EXPECT_EQ(mode("entry"), 0600u);
}

TEST_F(DurableFileTest, AFileThatNeverGetsItsNameLeavesNothing) {
  {
    auto file = DurableFile::create(fd_, dir_.string(), 0600);
    ASSERT_TRUE(file.ok()) << file.error().message;
    ASSERT_TRUE(file.value().write("half").ok());
    ASSERT_EQ(names().size(), 1u);
    EXPECT_TRUE(is_temporary_file_name(names()[0])) << names()[0];
  }
  EXPECT_TRUE(names().empty());
}

TEST_F(DurableFileTest, LinkNeverReplacesAnExistingName) {
  ASSERT_TRUE(write_file_durably(fd_, dir_.string(), "taken", "old", 0600).ok());
  auto file = DurableFile::create(fd_, dir_.string(), 0600);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file.value().write("new").ok());
  auto claim = file.value().link_as("taken");
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  EXPECT_EQ(claim.value(), DurableFile::Claim::taken);
  EXPECT_EQ(text("taken"), "old");
  claim = file.value().link_as("free");
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim.value(), DurableFile::Claim::done);
  EXPECT_EQ(names(), (std::vector<std::string>{"free", "taken"}));
  EXPECT_EQ(text("free"), "new");
}

TEST_F(DurableFileTest, AReleasedFileStaysOpenForItsNewOwner) {
  auto file = DurableFile::create(fd_, dir_.string(), 0600);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file.value().write("kept open").ok());
  ASSERT_TRUE(file.value().rename_over("named").ok());
  const int fd = file.value().release();
  char buffer[16] = {};
  EXPECT_EQ(::pread(fd, buffer, sizeof buffer, 0), 9);
  EXPECT_EQ(std::string(buffer), "kept open");
  ::close(fd);
}

TEST_F(DurableFileTest, SyncDirectoryByPathNamesADirectoryThatIsMissing) {
  EXPECT_TRUE(sync_directory(dir_.string()).ok());
  Status missing = sync_directory((dir_ / "gone").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find((dir_ / "gone").string()), std::string::npos) << missing.error().message;
  EXPECT_LT(OpenDirectory((dir_ / "gone").string()).fd(), 0);
}

TEST(DurableFileNames, OnlyTheTemporaryNamesAreRecognised) {
  EXPECT_TRUE(is_temporary_file_name(".qmilter-abc123.tmp"));
  EXPECT_FALSE(is_temporary_file_name("20231114221320_Q"));
  EXPECT_FALSE(is_temporary_file_name(".qmilter-abc123"));
  EXPECT_FALSE(is_temporary_file_name("x.qmilter-abc.tmp"));
}

}  // namespace
}  // namespace qmilter::sdk
