// Loads tests/unit/html/xss_vectors.txt: one vector per line with C-style escapes (\n \r
// \t \0 \\ \xHH), '#' comments and blank lines skipped. Shared by the corpus test and the
// helper that feeds the Python re-parse check.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace qmilter::html::testing {

inline std::string unescape_vector(const std::string& line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\' || i + 1 >= line.size()) {
      out.push_back(line[i]);
      continue;
    }
    const char next = line[++i];
    switch (next) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case '0': out.push_back('\0'); break;
      case '\\': out.push_back('\\'); break;
      case 'x':
        if (i + 2 < line.size()) {
          out.push_back(static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        }
        break;
      default:  // not an escape we know: keep it as written (e.g. "\<" in a vector)
        out.push_back('\\');
        out.push_back(next);
    }
  }
  return out;
}

inline std::vector<std::string> load_vectors(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> vectors;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    vectors.push_back(unescape_vector(line));
  }
  return vectors;
}

}  // namespace qmilter::html::testing
