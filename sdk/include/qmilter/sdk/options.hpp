// Typed plugin options. A plugin publishes an OptionSpec per INI option it owns; the host
// reads the quarantine's section (with [global] defaults applied), checks every value against
// the schema and hands the plugin an Options holding typed values. Paths arrive resolved
// against the directory of the last loaded config file. After load nothing is looked up by
// string on the message path: a plugin copies what it needs into its own members.
// Declare each option once: the host validates type, range and choices from the schema and
// prints it in `qmilter -l`, so a plugin never restates a default or checks a range by hand.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace qmilter::sdk {

enum class OptionType {
  string,   // any text
  integer,  // decimal, fits in int64
  boolean,  // yes/no, true/false, on/off, 1/0 (case-insensitive)
  path,     // a file or directory; relative values are resolved against the config directory
  list,     // comma-separated, items trimmed, empty items dropped
  octal_mode,  // permission bits such as 0640 (also 640, 0o640), at most 0777; read with mode()
  path_list,   // comma-separated paths, each resolved like a path option; read with list()
};

inline constexpr std::int64_t no_minimum = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t no_maximum = std::numeric_limits<std::int64_t>::max();

// One option. The host refuses a plugin whose schema is wrong (name not lower case, default
// that does not parse or breaks its own bounds, bounds on a non-integer, choices on a
// non-string), naming the plugin file and the option.
struct OptionSpec {
  OptionSpec() = default;
  // {name, type, required, default, description[, min, max]} or {..., description, {choices}}.
  OptionSpec(std::string name_, OptionType type_, bool required_, std::string default_, std::string description_,
             std::int64_t min_ = no_minimum, std::int64_t max_ = no_maximum)
      : name(std::move(name_)), type(type_), required(required_), default_value(std::move(default_)),
        description(std::move(description_)), min(min_), max(max_) {}
  OptionSpec(std::string name_, OptionType type_, bool required_, std::string default_, std::string description_,
             std::vector<std::string> choices_)
      : name(std::move(name_)), type(type_), required(required_), default_value(std::move(default_)),
        description(std::move(description_)), choices(std::move(choices_)) {}

  std::string name;           // lower case, as in the INI file
  OptionType type = OptionType::string;
  bool required = false;      // missing → config error naming file, section, option
  std::string default_value;  // used when not required and not set; "" = unset
  std::string description;    // one line, shown by `qmilter --list-plugins` and in docs
  std::int64_t min = no_minimum;  // integer only: smallest accepted value
  std::int64_t max = no_maximum;  // integer only: largest accepted value
  std::vector<std::string> choices;  // string only: the accepted values (case-insensitive),
                                     // handed to the plugin in lower case; empty = any text
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
  std::uint32_t mode(const std::string& name) const { return static_cast<std::uint32_t>(integer(name)); }

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
