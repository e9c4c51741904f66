// Builds the Options a plugin's create() receives from its schema and the values a test
// sets, the way the host builds them from an INI section: every default applied, required
// options checked, text converted to the option's type. Header-only, for plugin unit tests;
// relative paths stay as given (a test has no config directory to resolve them against).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "qmilter/sdk/option_text.hpp"
#include "qmilter/sdk/options.hpp"

namespace qmilter::sdk::testing {

// The typed value of `text` for `spec`, converted as the host converts an INI value.
// Throws std::invalid_argument naming the option when the text does not fit the type.
inline OptionValue option_value_from_text(const OptionSpec& spec, const std::string& text) {
  Result<OptionValue> value = sdk::parse_option_text(spec, text);
  if (!value) throw std::invalid_argument("option '" + spec.name + "': " + value.error().message);
  return std::move(value).value();
}

// Whether a value a test gives typed has the alternative the host would hand over for `spec`.
inline bool option_value_fits(const OptionSpec& spec, const OptionValue& value) {
  switch (spec.type) {
    case OptionType::string:
    case OptionType::path:
      return std::holds_alternative<std::string>(value);
    case OptionType::integer:
    case OptionType::octal_mode:
      return std::holds_alternative<std::int64_t>(value);
    case OptionType::boolean:
      return std::holds_alternative<bool>(value);
    case OptionType::list:
    case OptionType::path_list:
      return std::holds_alternative<std::vector<std::string>>(value);
  }
  throw std::invalid_argument("option '" + spec.name + "': its type is not known to make_options()");
}

// The Options of section `section` for `schema`: each value of `values` (typed, or text to
// convert as the INI reader would), then each unset option's default. Throws
// std::invalid_argument naming the option for a value the schema does not declare, a
// value of the wrong type, a missing required option or a default that does not convert.
inline Options make_options(const std::vector<OptionSpec>& schema, std::map<std::string, OptionValue> values = {},
                            std::string section = "test") {
  std::map<std::string, OptionValue> typed;
  for (const OptionSpec& spec : schema) {
    auto given = values.find(spec.name);
    if (given != values.end()) {
      OptionValue value = std::move(given->second);
      values.erase(given);
      if (const std::string* text = std::get_if<std::string>(&value)) value = option_value_from_text(spec, *text);
      if (!option_value_fits(spec, value)) {
        throw std::invalid_argument("option '" + spec.name + "': the test gave a value of the wrong type");
      }
      typed.emplace(spec.name, std::move(value));
    } else if (spec.required) {
      throw std::invalid_argument("option '" + spec.name + "': required, and the test gave no value");
    } else if (!spec.default_value.empty()) {
      typed.emplace(spec.name, option_value_from_text(spec, spec.default_value));
    }
  }
  if (!values.empty()) {
    throw std::invalid_argument("option '" + values.begin()->first + "': not in the plugin's schema");
  }
  return Options(std::move(section), std::move(typed));
}

// make_options(Plugin::option_schema(), ...) for a plugin class.
template <class Plugin>
Options make_options_for(std::map<std::string, OptionValue> values = {}, std::string section = "test") {
  return make_options(Plugin::option_schema(), std::move(values), std::move(section));
}

}  // namespace qmilter::sdk::testing
