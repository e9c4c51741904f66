// qmilterctl's `list` and `quarantine NAME list|notify|release|delete|get|metadata|purge`.
// Every command works through the quarantine's plugins only:
// sdk::QuarantineStore's admin side, sdk::Notifier::notify and smtp::send for release.
// Registered once by main(); the callbacks run on the main thread after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include "core/cli/cli_context.hpp"

namespace qmilter::cli {

void register_quarantine_commands(CLI::App& root, CliContext& context);

}  // namespace qmilter::cli
