#include "core/config/ini_file.hpp"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/config/config_error.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::core {
namespace {

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::string duplicate_key_error(const std::string& section, const std::string& key) {
  return "[" + section + "] " + key + ": option set twice in one file";
}

// PropertyTree does not keep line numbers; find them with a plain scan of the same text.
// PropertyTree compares keys case-sensitively, but configparser's keys are not: `Regex`
// after `regex` is the same duplicate as a second `regex`, refused here.
std::map<std::pair<std::string, std::string>, int> key_lines(const std::string& file, const std::string& content) {
  std::map<std::pair<std::string, std::string>, int> lines;
  std::istringstream in(content);
  std::string line, section;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = trim(t.substr(1, t.size() - 2));
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    std::string key = sdk::ascii_lower(trim(t.substr(0, eq)));
    if (!lines.emplace(std::make_pair(section, key), number).second) {
      throw ConfigError(file + ":" + std::to_string(number) + ": " + duplicate_key_error(section, key));
    }
  }
  return lines;
}

// configparser reads utf-8-sig: a byte order mark before the first line is not text.
void strip_byte_order_mark(std::string& content) {
  if (content.rfind("\xEF\xBB\xBF", 0) == 0) content.erase(0, 3);
}

// A NUL is never part of a config, and would cut every error message that quotes the line.
void refuse_nul_bytes(const std::string& file, const std::string& content) {
  auto nul = content.find('\0');
  if (nul == std::string::npos) return;
  auto line = 1 + std::count(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
  throw ConfigError(file + ":" + std::to_string(line) + ": contains a NUL byte (a config file is text)");
}

// PropertyTree's messages do not say which key or section; the offending line does.
std::string describe_parse_error(const std::string& content, const boost::property_tree::ini_parser_error& e) {
  std::istringstream in(content);
  std::string line, section;
  for (unsigned long number = 1; std::getline(in, line) && number <= e.line(); ++number) {
    std::string t = trim(line);
    if (!t.empty() && t.front() == '[' && t.back() == ']') section = trim(t.substr(1, t.size() - 2));
    if (number != e.line()) continue;
    if (e.message() == "duplicate key name") return duplicate_key_error(section, sdk::ascii_lower(trim(t.substr(0, t.find('=')))));
    if (e.message() == "duplicate section name") return "[" + section + "]: section appears twice in one file";
  }
  return e.message();
}

}  // namespace

IniData IniData::read(const std::vector<std::string>& files) {
  IniData data;
  for (const std::string& file : files) {
    std::ifstream stream(file);
    if (!stream) throw ConfigError(file + ": cannot read config file");
    std::stringstream buffer;
    buffer << stream.rdbuf();
    std::string content = buffer.str();
    strip_byte_order_mark(content);
    refuse_nul_bytes(file, content);
    boost::property_tree::ptree tree;
    try {
      std::istringstream in(content);
      boost::property_tree::ini_parser::read_ini(in, tree);
    } catch (const boost::property_tree::ini_parser_error& e) {
      throw ConfigError(file + ":" + std::to_string(e.line()) + ": " + describe_parse_error(content, e));
    }
    auto lines = key_lines(file, content);
    for (const auto& [section, keys] : tree) {
      if (keys.empty() && !keys.data().empty()) {
        throw ConfigError(file + ": option '" + section + "' outside of any [section]");
      }
      auto& target = data.sections_[section];
      data.section_files_[section] = file;
      for (const auto& [key, value] : keys) {
        std::string name = sdk::ascii_lower(key);
        auto line = lines.find({section, name});
        target[name] = IniValue{value.data(), file, line == lines.end() ? 0 : line->second, name};
      }
    }
  }
  return data;
}

const IniValue* IniData::find(const std::string& section, const std::string& key) const {
  auto s = sections_.find(section);
  if (s == sections_.end()) return nullptr;
  auto k = s->second.find(key);
  return k == s->second.end() ? nullptr : &k->second;
}

std::vector<std::string> IniData::keys(const std::string& section) const {
  std::vector<std::string> result;
  if (auto s = sections_.find(section); s != sections_.end()) {
    for (const auto& [key, value] : s->second) result.push_back(key);
  }
  return result;
}

std::string IniData::section_file(const std::string& section) const {
  auto it = section_files_.find(section);
  return it == section_files_.end() ? std::string() : it->second;
}

std::string IniData::interpolated(const std::string& section, const IniValue& value) const {
  static const std::map<std::string, IniValue> empty;
  auto s = sections_.find(section);
  try {
    return interpolate(value.text, s == sections_.end() ? empty : s->second);
  } catch (const ConfigError& e) {
    throw ConfigError(value.where() + ": [" + section + "] " + (value.key.empty() ? "" : value.key + ": ") + e.what());
  }
}

namespace {

// One value's interpolation, with the work done so far across all its levels.
class Interpolation {
 public:
  explicit Interpolation(const std::map<std::string, IniValue>& section) : section_(section) {}

  std::string expand(const std::string& value, int depth) {
    if (value.find('%') == std::string::npos) return value;
    if (depth > max_interpolation_depth) {
      throw ConfigError("%(...)s interpolation nested more than " + std::to_string(max_interpolation_depth) +
                        " levels deep (do the options refer to each other?)");
    }
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '%') {
        out += value[i];
        continue;
      }
      if (i + 1 < value.size() && value[i + 1] == '%') {
        out += '%';
        ++i;
        continue;
      }
      if (i + 1 < value.size() && value[i + 1] == '(') {
        auto close = value.find(")s", i + 2);
        if (close == std::string::npos) throw ConfigError("bad interpolation syntax in '" + value + "'");
        std::string key = sdk::ascii_lower(value.substr(i + 2, close - i - 2));
        auto it = section_.find(key);
        if (it == section_.end()) throw ConfigError("interpolation refers to unknown option '" + key + "'");
        std::string expanded = expand(it->second.text, depth + 1);
        spend(1 + expanded.size());
        out += expanded;
        i = close + 1;
        continue;
      }
      throw ConfigError(
          "'%' must be followed by '%' or '(' (write %% for a literal %), as in pyquarantine's configparser");
    }
    return out;
  }

 private:
  void spend(std::size_t amount) {
    work_ += amount;
    if (work_ > max_interpolation_work) {
      throw ConfigError("%(...)s interpolation expands to more than " + std::to_string(max_interpolation_work) +
                        " characters");
    }
  }

  const std::map<std::string, IniValue>& section_;
  std::size_t work_ = 0;
};

}  // namespace

std::string interpolate(const std::string& value, const std::map<std::string, IniValue>& section) {
  return Interpolation(section).expand(value, 0);
}

}  // namespace qmilter::core
