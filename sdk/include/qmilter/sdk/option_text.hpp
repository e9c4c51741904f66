// How the text of an option (an INI value, a schema default) becomes the typed value its
// OptionSpec asks for. The host reads its configuration with this, and the testing kit
// builds a test's Options with it, so both accept and refuse alike. Header-only, pure.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/options.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::sdk {

// Comma-separated items, trimmed of spaces and tabs, empty items dropped.
inline std::vector<std::string> split_option_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(start, comma - start);
    const std::size_t first = item.find_first_not_of(" \t");
    if (first != std::string_view::npos) items.emplace_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
    start = comma + 1;
  }
  return items;
}

// The typed value of `text` for `spec`, or an Error holding only the reason (the caller
// names where the text came from). Strings with choices come back in lower case, integers
// are checked against min/max, octal modes read 0640, 640 and Python's 0o640 alike. Paths
// come back as written: resolving a relative one is up to the caller, who knows against what.
inline Result<OptionValue> parse_option_text(const OptionSpec& spec, const std::string& text) {
  switch (spec.type) {
    case OptionType::string: {
      if (spec.choices.empty()) return OptionValue{text};
      const std::string value = ascii_lower(text);
      for (const std::string& choice : spec.choices) {
        if (ascii_lower(choice) == value) return OptionValue{value};
      }
      // "'x' is neither 'a' nor 'b'" reads best for two choices; a list for more.
      if (spec.choices.size() == 2) {
        return Error{"'" + text + "' is neither '" + spec.choices[0] + "' nor '" + spec.choices[1] + "'"};
      }
      std::string list;
      for (const std::string& choice : spec.choices) list += (list.empty() ? "'" : ", '") + choice + "'";
      return Error{"'" + text + "' is not one of " + list};
    }
    case OptionType::integer: {
      errno = 0;
      char* end = nullptr;
      const long long value = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) return Error{"'" + text + "' is not an integer"};
      if (value < spec.min || value > spec.max) {
        if (spec.max == no_maximum) return Error{"must be at least " + std::to_string(spec.min)};
        if (spec.min == no_minimum) return Error{"must be at most " + std::to_string(spec.max)};
        return Error{"must be from " + std::to_string(spec.min) + " to " + std::to_string(spec.max)};
      }
      return OptionValue{static_cast<std::int64_t>(value)};
    }
    case OptionType::boolean: {
      const std::string value = ascii_lower(text);
      if (value == "1" || value == "yes" || value == "true" || value == "on") return OptionValue{true};
      if (value == "0" || value == "no" || value == "false" || value == "off") return OptionValue{false};
      return Error{"'" + text + "' is not a boolean (yes/no, true/false, on/off, 1/0)"};
    }
    case OptionType::path:
      return OptionValue{text};
    case OptionType::list:
    case OptionType::path_list:
      return OptionValue{split_option_list(text)};
    case OptionType::octal_mode: {
      const std::string digits = ascii_lower(text).rfind("0o", 0) == 0 ? text.substr(2) : text;
      std::int64_t value = 0;
      bool ok = !digits.empty() && digits.size() <= 4;
      for (char c : digits) {
        if (c < '0' || c > '7') ok = false;
        value = value * 8 + (c - '0');
      }
      if (!ok || value > 0777) return Error{"'" + text + "' is not an octal mode"};
      return OptionValue{value};
    }
  }
  return Error{"unknown option type " + std::to_string(static_cast<int>(spec.type))};
}

}  // namespace qmilter::sdk
