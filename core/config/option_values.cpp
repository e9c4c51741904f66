#include "core/config/option_values.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/config/config_error.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::core {
namespace {

bool known_type(sdk::OptionType type) {
  switch (type) {
    case sdk::OptionType::string:
    case sdk::OptionType::integer:
    case sdk::OptionType::boolean:
    case sdk::OptionType::path:
    case sdk::OptionType::list:
    case sdk::OptionType::octal_mode:
    case sdk::OptionType::path_list:
      return true;
  }
  return false;
}

bool has_bounds(const sdk::OptionSpec& spec) { return spec.min != sdk::no_minimum || spec.max != sdk::no_maximum; }

std::string resolve_path(const std::string& text, const std::string& config_dir) {
  if (text.empty()) return text;  // an empty path means "disabled" where a plugin allows it
  std::filesystem::path path(text);
  if (path.is_relative()) path = std::filesystem::path(config_dir) / path;
  return path.lexically_normal().string();
}

// "'x' is neither 'a' nor 'b'" reads best for two choices; a list for more.
std::string not_a_choice(const std::string& text, const std::vector<std::string>& choices) {
  if (choices.size() == 2) return "'" + text + "' is neither '" + choices[0] + "' nor '" + choices[1] + "'";
  std::string list;
  for (const std::string& choice : choices) list += (list.empty() ? "'" : ", '") + choice + "'";
  return "'" + text + "' is not one of " + list;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) items.push_back(item.substr(b, e - b + 1));
    start = comma + 1;
  }
  return items;
}

sdk::OptionValue convert_option(const sdk::OptionSpec& spec, const std::string& text, const std::string& config_dir) {
  switch (spec.type) {
    case sdk::OptionType::string: {
      if (spec.choices.empty()) return text;
      std::string value = sdk::ascii_lower(text);
      for (const std::string& choice : spec.choices) {
        if (sdk::ascii_lower(choice) == value) return value;
      }
      throw ConfigError(not_a_choice(text, spec.choices));
    }
    case sdk::OptionType::integer: {
      errno = 0;
      char* end = nullptr;
      long long value = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) throw ConfigError("'" + text + "' is not an integer");
      if (value < spec.min || value > spec.max) {
        if (spec.max == sdk::no_maximum) throw ConfigError("must be at least " + std::to_string(spec.min));
        if (spec.min == sdk::no_minimum) throw ConfigError("must be at most " + std::to_string(spec.max));
        throw ConfigError("must be from " + std::to_string(spec.min) + " to " + std::to_string(spec.max));
      }
      return static_cast<std::int64_t>(value);
    }
    case sdk::OptionType::boolean: {
      std::string v = sdk::ascii_lower(text);
      if (v == "1" || v == "yes" || v == "true" || v == "on") return true;
      if (v == "0" || v == "no" || v == "false" || v == "off") return false;
      throw ConfigError("'" + text + "' is not a boolean (yes/no, true/false, on/off, 1/0)");
    }
    case sdk::OptionType::path:
      return resolve_path(text, config_dir);
    case sdk::OptionType::list:
      return split_list(text);
    case sdk::OptionType::octal_mode: {
      // One reading for every mode option: 0640, 640 and Python's 0o640 alike.
      std::string digits = sdk::ascii_lower(text).rfind("0o", 0) == 0 ? text.substr(2) : text;
      std::int64_t value = 0;
      bool ok = !digits.empty() && digits.size() <= 4;
      for (char c : digits) {
        if (c < '0' || c > '7') ok = false;
        value = value * 8 + (c - '0');
      }
      if (!ok || value > 0777) throw ConfigError("'" + text + "' is not an octal mode");
      return value;
    }
    case sdk::OptionType::path_list: {
      std::vector<std::string> paths = split_list(text);
      for (std::string& path : paths) path = resolve_path(path, config_dir);
      return paths;
    }
  }
  throw ConfigError("unknown option type " + std::to_string(static_cast<int>(spec.type)));
}

std::vector<std::string> schema_mistakes(const std::vector<sdk::OptionSpec>& schema) {
  std::vector<std::string> mistakes;
  std::set<std::string> seen;
  for (const sdk::OptionSpec& spec : schema) {
    const std::string where = "option '" + spec.name + "': ";
    const std::size_t before = mistakes.size();
    if (spec.name.empty() || spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      mistakes.push_back(where + "a name is lower-case letters, digits and '_'");
    }
    if (!seen.insert(spec.name).second) mistakes.push_back(where + "declared twice");
    if (!known_type(spec.type)) {
      mistakes.push_back(where + "unknown option type " + std::to_string(static_cast<int>(spec.type)));
      continue;
    }
    if (has_bounds(spec) && spec.type != sdk::OptionType::integer) mistakes.push_back(where + "min/max on a non-integer option");
    if (spec.min > spec.max) mistakes.push_back(where + "min is greater than max");
    if (!spec.choices.empty() && spec.type != sdk::OptionType::string) {
      mistakes.push_back(where + "choices on a non-string option");
    }
    if (mistakes.size() != before || spec.default_value.empty()) continue;
    if (spec.required) mistakes.push_back(where + "a required option cannot have a default");
    try {
      convert_option(spec, spec.default_value, "/");
    } catch (const ConfigError& e) {
      mistakes.push_back(where + "default " + e.what());
    }
  }
  return mistakes;
}

bool same_declaration(const sdk::OptionSpec& a, const sdk::OptionSpec& b) {
  return a.name == b.name && a.type == b.type && a.required == b.required && a.default_value == b.default_value &&
         a.min == b.min && a.max == b.max && a.choices == b.choices;
}

std::string describe_values(const sdk::OptionSpec& spec) {
  switch (spec.type) {
    case sdk::OptionType::string: {
      if (spec.choices.empty()) return "text";
      std::string list;
      for (const std::string& choice : spec.choices) list += (list.empty() ? "" : ", ") + choice;
      return "one of: " + list;
    }
    case sdk::OptionType::integer:
      if (spec.min != sdk::no_minimum && spec.max != sdk::no_maximum) {
        return "integer, " + std::to_string(spec.min) + " to " + std::to_string(spec.max);
      }
      if (spec.min != sdk::no_minimum) return "integer, at least " + std::to_string(spec.min);
      if (spec.max != sdk::no_maximum) return "integer, at most " + std::to_string(spec.max);
      return "integer";
    case sdk::OptionType::boolean: return "yes/no";
    case sdk::OptionType::path: return "path";
    case sdk::OptionType::list: return "comma-separated list";
    case sdk::OptionType::octal_mode: return "octal mode";
    case sdk::OptionType::path_list: return "comma-separated paths";
  }
  return "unknown type";
}

}  // namespace qmilter::core
