// What every qmilterctl command shares: the global options (-c, -d), the output flags of
// listings (--json, -b), the output streams and the configuration, loaded on first use in
// the admin role. One instance lives in main() for the whole run; single-threaded.
#pragma once

#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace qmilter::cli {

// Exit codes of qmilterctl (documented in qmilterctl(8), EXIT STATUS).
enum ExitCode : int {
  exit_ok = 0,
  exit_failed = 1,  // the operation failed or was refused (unknown id, SMTP refused, ...)
  exit_usage = 2,   // bad command line
  exit_config = 3,  // the configuration could not be loaded
};

// A command's failure: the message goes to stderr, the code becomes the exit status.
class CliError : public std::runtime_error {
 public:
  explicit CliError(const std::string& message, int exit_code = exit_failed)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

struct CliContext {
  std::vector<std::string> config_files;  // -c/--config, in order; empty = the default list
  bool debug = false;                     // -d
  bool json = false;                      // --json on a listing
  bool ids_only = false;                  // -b on a listing
  std::string plugin_dir_fallback;        // where plugins are when [global] plugin_dir is unset
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool out_is_terminal = false;  // tables on a terminal, tab-separated lines otherwise

  // The configuration, loaded (plugins instantiated in sdk::Role::admin) on first call.
  // Throws CliError(exit_config) naming what is wrong.
  std::shared_ptr<const core::Config> config();

  // The quarantine section called `name`; CliError listing the known ones when there is none.
  const core::Quarantine& quarantine(const std::string& name);

 private:
  std::shared_ptr<const core::Config> config_;
};

}  // namespace qmilter::cli
