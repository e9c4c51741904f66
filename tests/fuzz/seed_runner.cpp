// Runs a libFuzzer target over its seed corpus without libFuzzer: each file (or each file
// in each directory) on the command line goes through LLVMFuzzerTestOneInput once. The
// targets abort on a broken invariant, so a failing seed fails the ctest.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::directory_iterator(path))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else {
      files.push_back(path);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "no seed files given\n");
    return 1;
  }
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // An exact-size buffer, as libFuzzer gives: an ASan build then sees reads past the end.
    const auto exact = std::make_unique<std::uint8_t[]>(data.size());
    std::memcpy(exact.get(), data.data(), data.size());
    LLVMFuzzerTestOneInput(exact.get(), data.size());
  }
  std::printf("%zu seeds ran\n", files.size());
  return 0;
}
