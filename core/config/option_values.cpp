#include "core/config/option_values.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "core/config/config_error.hpp"

namespace qmilter::core {

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
    case sdk::OptionType::string:
      return text;
    case sdk::OptionType::integer: {
      errno = 0;
      char* end = nullptr;
      long long value = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) throw ConfigError("'" + text + "' is not an integer");
      return static_cast<std::int64_t>(value);
    }
    case sdk::OptionType::boolean: {
      std::string v = text;
      std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
      if (v == "1" || v == "yes" || v == "true" || v == "on") return true;
      if (v == "0" || v == "no" || v == "false" || v == "off") return false;
      throw ConfigError("'" + text + "' is not a boolean (yes/no, true/false, on/off, 1/0)");
    }
    case sdk::OptionType::path: {
      if (text.empty()) return text;  // an empty path means "disabled" where a plugin allows it
      std::filesystem::path path(text);
      if (path.is_relative()) path = std::filesystem::path(config_dir) / path;
      return path.lexically_normal().string();
    }
    case sdk::OptionType::list:
      return split_list(text);
  }
  throw ConfigError("unknown option type");
}

}  // namespace qmilter::core
