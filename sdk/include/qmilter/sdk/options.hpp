// Typed plugin options. A plugin publishes an OptionSpec per INI option it owns; the host
// reads the quarantine's section (with [global] defaults applied), checks every value against
// the schema and hands the plugin an Options holding typed values. Paths arrive resolved
// against the directory of the last loaded config file. After load nothing is looked up by
// string on the message path: a plugin copies what it needs into its own members.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace qmilter::sdk {

enum class OptionType {
  string,   // any text
  integer,  // decimal, fits in int64
  boolean,  // yes/no, true/false, on/off, 1/0 (case-insensitive)
  path,     // a file or directory; relative values are resolved against the config directory
  list,     // comma-separated, items trimmed, empty items dropped
};

struct OptionSpec {
  std::string name;           // lower case, as in the INI file
  OptionType type = OptionType::string;
  bool required = false;      // missing → config error naming file, section, option
  std::string default_value;  // used when not required and not set; "" = unset
  std::string description;    // one line, shown by `qmilter --list-plugins` and in docs
};

using OptionValue = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

// The validated values of one plugin's options in one quarantine section. An option that is
// neither set nor defaulted is absent: has() says false and the getters return empty values.
class Options {
 public:
  Options() = default;
  Options(std::string section, std::map<std::string, OptionValue> values)
      : section_(std::move(section)), values_(std::move(values)) {}

  const std::string& section() const noexcept { return section_; }
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  std::string string(const std::string& name) const { return get<std::string>(name, {}); }
  std::int64_t integer(const std::string& name) const { return get<std::int64_t>(name, 0); }
  bool boolean(const std::string& name) const { return get<bool>(name, false); }
  std::vector<std::string> list(const std::string& name) const { return get<std::vector<std::string>>(name, {}); }

 private:
  template <class T>
  T get(const std::string& name, T fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    if (const T* value = std::get_if<T>(&it->second)) return *value;
    return fallback;
  }

  std::string section_;
  std::map<std::string, OptionValue> values_;
};

}  // namespace qmilter::sdk
