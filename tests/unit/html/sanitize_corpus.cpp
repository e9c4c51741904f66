// Test helper for check_reparse.py: sanitizes every XSS vector with the three image
// settings and prints one JSON array of the outputs per line, in corpus order.
#include <cstdio>
#include <string>

#include "core/html/sanitizer.hpp"
#include "xss_vectors.hpp"

namespace {

std::string json_string(const std::string& utf8) {
  std::string out = "\"";
  for (const char c : utf8) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", byte);
      out.append(buffer);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sanitize_corpus xss_vectors.txt\n");
    return 2;
  }
  const qmilter::html::SanitizeOptions settings[] = {{true, false}, {false, false}, {true, true}};
  for (const std::string& vector : qmilter::html::testing::load_vectors(argv[1])) {
    std::string line = "[";
    for (const auto& options : settings) {
      if (line.size() > 1) line += ", ";
      line += json_string(qmilter::html::sanitize(vector, options).html);
    }
    std::printf("%s]\n", line.c_str());
  }
  return 0;
}
