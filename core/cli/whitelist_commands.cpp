// Placeholder: the `whitelist` command group exists so that main() can register it; the
// DB-whitelist work fills in list/add/delete here.
#include "core/cli/whitelist_commands.hpp"

namespace qmilter::cli {

void register_whitelist_commands(CLI::App& root, CliContext& /*context*/) {
  root.add_subcommand("whitelist", "Manage a quarantine's whitelist");
}

}  // namespace qmilter::cli
