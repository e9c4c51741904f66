// `qmilterctl digest [-q NAME]... [--dry-run] [--force] [--json]`: for every recipient with
// entries no earlier digest reported, in the quarantines whose digest is on and due, one
// HTML e-mail listing them newest first, sent through the relay of the highest-precedence
// quarantine among them, with its digest settings. What was reported is kept in
// DigestState, recorded after each digest the relay accepted. A recipient that cannot be a
// mailbox is skipped with a log line; a relay failure leaves the recipient for the next run
// (and makes the exit status 1). Registered once by main(); single-threaded.
#pragma once

#include <CLI/CLI.hpp>

#include "core/cli/cli_context.hpp"

namespace qmilter::cli {

void register_digest_command(CLI::App& root, CliContext& context);

// Whether `address` can be a mailbox a digest goes to: local@domain, at most 254 bytes,
// no whitespace, control characters or the specials that would need quoting.
bool is_digest_mailbox(std::string_view address);

}  // namespace qmilter::cli
