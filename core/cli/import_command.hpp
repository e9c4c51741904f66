// qmilterctl's `quarantine NAME import --from DIR`: copies every entry of a pyquarantine (or
// `file`) quarantine directory into NAME's store, so an admin can move an existing
// quarantine into a shared database. Works through the plugins only: DIR is read by the
// `file` plugin, the entries are written with the target's store(). Registered once by
// main() after the other quarantine commands; runs on the main thread.
#pragma once

#include <CLI/CLI.hpp>

#include "core/cli/cli_context.hpp"

namespace qmilter::cli {

void register_import_command(CLI::App& root, CliContext& context);

}  // namespace qmilter::cli
