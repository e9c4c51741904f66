// Turns the INI text of one option into the typed value its OptionSpec asks for. Shared by
// the core's own option tables and every plugin's schema, so all options read alike.
#pragma once

#include <string>

#include "qmilter/sdk/options.hpp"

namespace qmilter::core {

// Throws ConfigError with the reason only (the caller prefixes file, section and option).
sdk::OptionValue convert_option(const sdk::OptionSpec& spec, const std::string& text, const std::string& config_dir);

// Comma-separated items, trimmed, empty items dropped.
std::vector<std::string> split_list(const std::string& text);

}  // namespace qmilter::core
