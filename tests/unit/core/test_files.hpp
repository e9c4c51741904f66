// Scratch files for tests: a directory removed at the end of the test, and a helper that
// writes a file into it.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace qmilter::test {

class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "qmilter-test-XXXXXX").string();
    path_ = mkdtemp(templ.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const {
    std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace qmilter::test
