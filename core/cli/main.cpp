// qmilterctl: the admin CLI. Parses the command line, runs one command through the
// quarantines' plugins, and maps the outcome to an exit code (see cli_context.hpp).
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "core/cli/cli_context.hpp"
#include "core/cli/digest_command.hpp"
#include "core/cli/import_command.hpp"
#include "core/cli/quarantine_commands.hpp"
#include "core/cli/unknown_command.hpp"
#include "core/cli/web_commands.hpp"
#include "core/cli/whitelist_commands.hpp"
#include "core/log/log_sink.hpp"

int main(int argc, char** argv) {
  using namespace qmilter::cli;
  CliContext context;
  context.out = &std::cout;
  context.err = &std::cerr;
  context.out_is_terminal = ::isatty(STDOUT_FILENO) == 1;

  CLI::App app{"qmilterctl — manage qmilter's quarantines and whitelists"};
  // One value per -c: `qmilterctl -c a.conf list` is one file and the list command.
  app.add_option("-c,--config", context.config_files,
                 "Config file (repeatable; default: /etc/qmilter/qmilter.conf, ~/qmilter.conf, ./qmilter.conf)")
      ->allow_extra_args(false)
      ->take_all();
  app.add_flag("-d,--debug", context.debug, "Log debug lines to stderr");
  app.set_version_flag("-V,--version", QMILTER_VERSION);
  app.require_subcommand(1);
  register_quarantine_commands(app, context);
  register_import_command(app, context);
  register_whitelist_commands(app, context);
  register_web_commands(app, context);
  register_digest_command(app, context);
  // Configure logging before any command callback loads plugins.
  app.parse_complete_callback([&context] { qmilter::core::log::configure({context.debug, false, "qmilterctl"}); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (auto unknown = unknown_command(app)) {
      std::cerr << "qmilterctl: " << *unknown << "\nRun with --help for more information.\n";
      return exit_usage;
    }
    app.exit(e);
    return exit_usage;
  } catch (const CliError& e) {
    std::cout.flush();
    std::cerr << "qmilterctl: " << e.what() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "qmilterctl: " << e.what() << '\n';
    return exit_failed;
  }
  std::cout.flush();
  return std::cout ? exit_ok : exit_failed;
}
