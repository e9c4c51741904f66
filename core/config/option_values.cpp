#include "core/config/option_values.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/config/config_error.hpp"
#include "qmilter/sdk/option_text.hpp"
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

}  // namespace

std::vector<std::string> split_list(const std::string& text) { return sdk::split_option_list(text); }

// The SDK's conversion, with the two things only the host knows: relative paths are
// relative to the config directory, and a refusal is a ConfigError.
sdk::OptionValue convert_option(const sdk::OptionSpec& spec, const std::string& text, const std::string& config_dir) {
  sdk::Result<sdk::OptionValue> value = sdk::parse_option_text(spec, text);
  if (!value) throw ConfigError(value.error().message);
  if (spec.type == sdk::OptionType::path) return resolve_path(text, config_dir);
  if (spec.type == sdk::OptionType::path_list) {
    auto& paths = std::get<std::vector<std::string>>(value.value());
    for (std::string& path : paths) path = resolve_path(path, config_dir);
  }
  return std::move(value).value();
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
