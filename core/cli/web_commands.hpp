// qmilterctl's side of qmilter-web: `web secret` creates the secret that signs links, and
// `quarantine NAME link ID -t RCPT [--days N]` prints one recipient's link (registered with
// the other quarantine commands).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "core/cli/cli_context.hpp"

namespace qmilter::cli {

void register_web_commands(CLI::App& root, CliContext& context);

// The link for `recipient`, which must be one of entry `id`'s; days < 0 = web_link_days.
void print_release_link(CliContext& context, const std::string& quarantine, const std::string& id,
                        const std::string& recipient, std::int64_t days);

}  // namespace qmilter::cli
