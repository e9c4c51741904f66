// Turns the INI text of one option into the typed value its OptionSpec asks for, and checks
// a schema itself before any value is read. Shared by the core's own option tables and
// every plugin's schema, so all options read, validate and print alike.
#pragma once

#include <string>
#include <vector>

#include "qmilter/sdk/options.hpp"

namespace qmilter::core {

// Throws ConfigError with the reason only (the caller prefixes file, section and option).
// Integers are checked against min/max, strings against choices (and given in lower case).
sdk::OptionValue convert_option(const sdk::OptionSpec& spec, const std::string& text, const std::string& config_dir);

// What is wrong with a schema, one line per mistake ("option 'X': reason"); empty = fine.
// Checks names (lower case, unique), types, bounds, choices and that each default parses.
std::vector<std::string> schema_mistakes(const std::vector<sdk::OptionSpec>& schema);

// Whether two declarations of one option name mean the same thing to the admin.
bool same_declaration(const sdk::OptionSpec& a, const sdk::OptionSpec& b);

// "integer, 1 to 300", "one of: tempfail, match", "octal mode" — for `qmilter -l` and docs.
std::string describe_values(const sdk::OptionSpec& spec);

// Comma-separated items, trimmed, empty items dropped.
std::vector<std::string> split_list(const std::string& text);

}  // namespace qmilter::core
