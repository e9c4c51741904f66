// The usage error for a word in a command's place that names no command. CLI11 then says
// only "A subcommand is required"; this names the word and the commands there are.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace qmilter::cli {

// After a failed parse of `root`: "unknown command 'X' (commands: a, b)" when the deepest
// command reached expects a sub-command and was given a word that is none of them;
// nullopt for every other error.
std::optional<std::string> unknown_command(const CLI::App& root);

}  // namespace qmilter::cli
