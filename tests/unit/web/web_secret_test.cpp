#include "core/links/web_secret.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace qmilter::links {
namespace {

namespace fs = std::filesystem;

class WebSecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qmilter-secret-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(WebSecretTest, CreatesOnceWithMode0600AndLoadsIt) {
  auto created = create_secret(path("web.secret"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(created.value());
  struct stat status {};
  ASSERT_EQ(::stat(path("web.secret").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600u);
  auto key = load_secret(path("web.secret"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key.value().size(), 65u);
  auto again = create_secret(path("web.secret"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value());
  EXPECT_EQ(load_secret(path("web.secret")).value(), key.value()) << "an existing secret is never replaced";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1) << "no temporary file left";
}

TEST_F(WebSecretTest, TwoSecretsDiffer) {
  ASSERT_TRUE(create_secret(path("a")).ok());
  ASSERT_TRUE(create_secret(path("b")).ok());
  EXPECT_NE(load_secret(path("a")).value(), load_secret(path("b")).value());
}

TEST_F(WebSecretTest, RefusesMissingShortOpenAndOddFiles) {
  auto missing = load_secret(path("none"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("qmilterctl web secret"), std::string::npos);

  std::ofstream(path("short")) << "too short";
  ::chmod(path("short").c_str(), 0600);
  auto short_one = load_secret(path("short"));
  ASSERT_FALSE(short_one.ok());
  EXPECT_NE(short_one.error().message.find("holds 9 bytes"), std::string::npos);

  std::ofstream(path("open")) << std::string(40, 's');
  ::chmod(path("open").c_str(), 0604);
  auto open = load_secret(path("open"));
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("mode 0604"), std::string::npos);
  ::chmod(path("open").c_str(), 0640);
  EXPECT_TRUE(load_secret(path("open")).ok()) << "the group may read it (qmilter-web in the qmilter group)";
  ::chmod(path("open").c_str(), 0660);
  EXPECT_FALSE(load_secret(path("open")).ok()) << "but not change it";

  fs::create_directory(path("dir"));
  EXPECT_FALSE(load_secret(path("dir")).ok());
  fs::create_symlink(path("open"), path("link"));
  EXPECT_FALSE(load_secret(path("link")).ok()) << "a symlink is not followed";
}

}  // namespace
}  // namespace qmilter::links
