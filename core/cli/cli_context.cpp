// Loading the configuration for qmilterctl, once, in the admin role.
#include "core/cli/cli_context.hpp"

#include <exception>

namespace qmilter::cli {

std::shared_ptr<const core::Config> CliContext::config() {
  if (config_) return config_;
  core::LoadRequest request;
  request.files = config_files;
  request.role = sdk::Role::admin;
  request.plugin_dir_fallback = plugin_dir_fallback;
  try {
    config_ = core::load_config(request);
  } catch (const std::exception& e) {
    throw CliError(std::string("configuration error: ") + e.what(), exit_config);
  }
  return config_;
}

const core::Quarantine& CliContext::quarantine(const std::string& name) {
  auto loaded = config();
  if (const core::Quarantine* found = loaded->find(name)) return *found;
  std::string known;
  for (const core::Quarantine& q : loaded->quarantines) known += (known.empty() ? "" : ", ") + q.name;
  throw CliError("no quarantine named '" + name + "' (configured: " + known + ")");
}

}  // namespace qmilter::cli
