// qmilterctl's `whitelist NAME ...` commands, working through sdk::Whitelist only.
// Registered once by main(); the callbacks run on the main thread. The whitelist plugin is
// the authority on entries; the CLI validates addresses first for a clear usage error.
#pragma once

#include <CLI/CLI.hpp>

#include "core/cli/cli_context.hpp"

namespace qmilter::cli {

void register_whitelist_commands(CLI::App& root, CliContext& context);

}  // namespace qmilter::cli
