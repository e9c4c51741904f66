// Reads pyquarantine-style INI files with Boost.PropertyTree and merges them: later files
// override earlier keys. Keys are lower-cased (Python's configparser did that); values keep
// Python's %-interpolation (`%%` is a literal %, `%(key)s` another key of the section), so a
// config written for pyquarantine reads the same. Each value remembers file and line, so an
// error can point at it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qmilter::core {

struct IniValue {
  std::string text;
  std::string file;
  int line = 0;
  std::string key;  // lower-cased, for errors about the value

  // "file:line" for error messages.
  std::string where() const { return line > 0 ? file + ":" + std::to_string(line) : file; }
};

class IniData {
 public:
  // Throws ConfigError naming the file (and line) that cannot be read or parsed.
  static IniData read(const std::vector<std::string>& files);

  bool has_section(const std::string& section) const { return sections_.count(section) != 0; }
  const IniValue* find(const std::string& section, const std::string& key) const;
  // Keys of a section, lower-cased, in no particular order.
  std::vector<std::string> keys(const std::string& section) const;
  // The file that defined the section last (for errors about a missing option).
  std::string section_file(const std::string& section) const;
  // The value with %-interpolation applied against its own section. Throws ConfigError
  // naming the value's place.
  std::string interpolated(const std::string& section, const IniValue& value) const;

 private:
  std::map<std::string, std::map<std::string, IniValue>> sections_;
  std::map<std::string, std::string> section_files_;
};

// Most levels of %(key)s within %(key)s, as in Python's configparser.
inline constexpr int max_interpolation_depth = 10;
// Most characters interpolation may produce for one value, counting what every level of
// references produces and one per reference: a few lines of references referring to each
// other would otherwise expand to gigabytes, or take minutes to expand to nothing.
inline constexpr std::size_t max_interpolation_work = 1 << 20;

// Python configparser's BasicInterpolation on one value. Throws ConfigError (without
// location; the caller adds it) on a lone '%', an unknown reference, or a value past the
// depth or work limit.
std::string interpolate(const std::string& value, const std::map<std::string, IniValue>& section);

}  // namespace qmilter::core
