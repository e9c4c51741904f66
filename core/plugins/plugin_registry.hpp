// Finds and loads plugins (Boost.DLL). `quarantine_type = file` means the plugin of kind
// quarantine named "file" in the search path (the admin's plugin_dir, then the built-in
// directory); a value containing '/' is a path to a .so. The plain C header is read and
// checked (magic, ABI, kind) before any C++ object of the plugin is touched, then the option
// schema. Libraries are never unloaded: objects they made may outlive any configuration
// generation. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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
  std::vector<sdk::OptionSpec> options;    // the factory's schema, checked at load

  // The file as it was when loaded: a file replaced later is not what runs.
  struct FileIdentity {
    std::uintmax_t device = 0, inode = 0, size = 0;
    std::int64_t modified_s = 0, modified_ns = 0;
    bool operator==(const FileIdentity&) const = default;
  };
  FileIdentity identity;

  // Whether the file on disk is no longer the one loaded (replaced, rebuilt or removed).
  bool replaced_on_disk() const;
};

// A file in the search path that is not offered as a plugin, and why.
struct RefusedPlugin {
  std::filesystem::path file;
  std::string reason;
};

// Everything the search path holds: the usable plugins (the first of a kind and name wins),
// the refused files, and warnings about usable files that declare a kind and name already
// taken. A refused file never takes a kind and name, so it cannot shadow a usable one.
struct PluginScan {
  std::vector<const LoadedPlugin*> plugins;
  std::vector<RefusedPlugin> refused;
  std::vector<std::string> duplicates;
};

const char* kind_name(sdk::PluginKind kind) noexcept;

// What is wrong with a plugin's option schema (empty: nothing). The configuration layer
// supplies it, since it knows the core's own options; a plugin it finds fault with is
// refused like a file that is no plugin, before plugins are ranked by the search path.
using SchemaCheck = std::function<std::vector<std::string>(const std::vector<sdk::OptionSpec>&)>;

class PluginRegistry {
 public:
  // Directories in search order: the first holding a usable plugin of a kind and name
  // provides it.
  explicit PluginRegistry(std::vector<std::filesystem::path> search_path, SchemaCheck schema_check = {})
      : search_path_(std::move(search_path)), schema_check_(std::move(schema_check)) {}
  explicit PluginRegistry(std::filesystem::path plugin_dir) : search_path_{std::move(plugin_dir)} {}

  const std::vector<std::filesystem::path>& search_path() const noexcept { return search_path_; }

  // `type` is a plugin name (case-insensitive) or a path (relative to base_dir). By name,
  // the plugin scan() ranks first for that kind and name. Throws PluginError naming the
  // file (a path, or a refused file of that name when no usable one exists), or for an
  // unknown name the plugins that are available.
  const LoadedPlugin& find(sdk::PluginKind kind, const std::string& type, const std::filesystem::path& base_dir) const;

  // Every plugin in the search path (files that are not plugins are skipped).
  std::vector<const LoadedPlugin*> available() const { return scan().plugins; }

  // Loads every .so in the search path: usable plugins, refused files and duplicates.
  PluginScan scan() const;

  // Loads one file and checks it, schema included; throws PluginError naming the file.
  static const LoadedPlugin& load_file(const std::filesystem::path& file);

 private:
  // load_file() and the schema check: throws PluginError naming the file.
  const LoadedPlugin& load_usable(const std::filesystem::path& file) const;

  std::vector<std::filesystem::path> search_path_;
  SchemaCheck schema_check_;
};

// Where the daemon looks for plugins when [global] plugin_dir is not set: relative to the
// running executable, as installed (<prefix>/sbin → <prefix>/lib/qmilter/plugins) or as
// built (build/bin → build/lib/qmilter/plugins).
std::filesystem::path default_plugin_dir();

}  // namespace qmilter::core
