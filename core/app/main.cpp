// qmilter: the daemon. Parses the command line, loads the configuration (or only checks it
// with -t), and runs the milter in the foreground.
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/app/daemon.hpp"
#include "core/config/config_error.hpp"
#include "core/config/config_store.hpp"
#include "core/config/option_values.hpp"
#include "core/log/log_sink.hpp"
#include "core/plugins/plugin_registry.hpp"

namespace {

using namespace qmilter;

void print_option(const sdk::OptionSpec& option) {
  std::cout << "      " << option.name << " (" << core::describe_values(option)
            << (option.required ? ", required" : "")
            << (option.default_value.empty() ? "" : ", default " + option.default_value) << "): " << option.description
            << "\n";
}

int list_plugins(const std::vector<std::string>& files) {
  core::LoadRequest request{files, sdk::Role::check, {}};
  std::vector<std::filesystem::path> path{core::default_plugin_dir()};
  try {
    auto configured = core::configured_plugin_path(request);
    path.assign(configured.begin(), configured.end());
  } catch (const std::exception& e) {
    std::cout << "(no usable config, listing the built-in plugins: " << e.what() << ")\n";
  }
  std::cout << "qmilter options of [global]:\n";
  for (const sdk::OptionSpec& option : core::global_options()) print_option(option);
  std::cout << "qmilter options of each quarantine section (defaults from [global]):\n";
  for (const sdk::OptionSpec& option : core::quarantine_options()) print_option(option);

  // The loader's own check, so that -l ranks, lists and refuses exactly as a start would.
  core::PluginScan scan = core::PluginRegistry(path, core::plugin_schema_problems).scan();
  std::string dirs;
  for (const auto& dir : path) dirs += (dirs.empty() ? "" : ", ") + dir.string();
  std::cout << "plugins in " << dirs << ":\n";
  for (const core::LoadedPlugin* plugin : scan.plugins) {
    std::cout << "  " << core::kind_name(plugin->kind) << " " << plugin->name << " " << plugin->version << " — "
              << plugin->description << " (" << plugin->file.filename().string() << ")\n";
    for (const sdk::OptionSpec& option : plugin->options) print_option(option);
  }
  if (!scan.refused.empty()) std::cout << "refused plugin files:\n";
  for (const core::RefusedPlugin& file : scan.refused) std::cout << "  " << file.reason << "\n";
  for (const std::string& duplicate : scan.duplicates) std::cout << "warning: " << duplicate << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qmilter — a quarantine milter for Postfix and Sendmail"};
  std::string socket;
  std::vector<std::string> files;
  bool debug = false, test = false, plugins = false;
  app.add_option("-s,--socket", socket, "libmilter socket: unix:/path, inet:port@host, inet6:port@host");
  app.add_option("-c,--config", files, "Config file (repeatable; later files override earlier keys)")
      ->allow_extra_args(false)
      ->take_all();
  app.add_flag("-d,--debug", debug, "Log debug lines");
  app.add_flag("-t,--test", test, "Check the configuration and exit");
  app.add_flag("-l,--list-plugins", plugins, "List the plugins this qmilter can load, with their options");
  app.set_version_flag("-V,--version", QMILTER_VERSION);
  CLI11_PARSE(app, argc, argv);

  if (plugins) return list_plugins(files);
  core::log::configure({debug, !test, "qmilter"});
  core::LoadRequest request{files, test ? sdk::Role::check : sdk::Role::daemon, {}};
  std::shared_ptr<const core::Config> config;
  try {
    config = core::load_config(request);
  } catch (const std::exception& e) {
    std::cerr << "qmilter: configuration error: " << e.what() << "\n";
    return 1;
  }
  for (const std::string& warning : config->warnings) core::log::warning("", warning);
  if (test) {
    std::cout << "Configuration ok\n";
    return 0;
  }
  if (socket.empty()) socket = config->socket;
  if (socket.empty()) {
    std::cerr << "qmilter: no socket: give -s SOCKET or set socket in [global]\n";
    return 1;
  }
  request.role = sdk::Role::daemon;
  core::ConfigStore configs(std::move(config));
  try {
    return core::run_daemon(configs, request, socket);
  } catch (const std::exception& e) {
    core::log::error("", e.what());
    return 1;
  }
}
