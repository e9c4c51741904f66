// Finds and loads plugins (Boost.DLL). `quarantine_type = file` means the plugin of kind
// quarantine named "file" in the plugin directory; a value containing '/' is a path to a
// .so. The plain C header is read and checked (magic, ABI, kind) before any C++ object of
// the plugin is touched. Libraries are never unloaded: objects they made may outlive any
// configuration generation. Thread-safe.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "qmilter/sdk/plugin.hpp"

namespace qmilter::core {

class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadedPlugin {
  std::filesystem::path file;
  sdk::PluginKind kind;
  std::string name;
  std::string version;
  std::string description;
  unsigned abi_major = 0;
  unsigned abi_minor = 0;
  sdk::PluginFactory* factory = nullptr;  // owned by the library, lives as long as the process
};

const char* kind_name(sdk::PluginKind kind) noexcept;

class PluginRegistry {
 public:
  explicit PluginRegistry(std::filesystem::path plugin_dir) : plugin_dir_(std::move(plugin_dir)) {}

  const std::filesystem::path& plugin_dir() const noexcept { return plugin_dir_; }

  // `type` is a plugin name (case-insensitive) or a path (relative to base_dir). Throws
  // PluginError naming the file, or for an unknown name the plugins that are available.
  const LoadedPlugin& find(sdk::PluginKind kind, const std::string& type, const std::filesystem::path& base_dir) const;

  // Every plugin in the plugin directory (files that are not plugins are skipped).
  std::vector<const LoadedPlugin*> available() const;

  // Loads one file and checks it; throws PluginError naming the file.
  static const LoadedPlugin& load_file(const std::filesystem::path& file);

 private:
  std::filesystem::path plugin_dir_;
};

// Where the daemon looks for plugins when [global] plugin_dir is not set: relative to the
// running executable, as installed (<prefix>/sbin → <prefix>/lib/qmilter/plugins) or as
// built (build/bin → build/lib/qmilter/plugins).
std::filesystem::path default_plugin_dir();

}  // namespace qmilter::core
