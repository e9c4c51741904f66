#include "core/plugins/plugin_registry.hpp"

#include <sys/stat.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include "qmilter/sdk/text.hpp"

namespace qmilter::core {
namespace fs = std::filesystem;

namespace {

// Loaded libraries, by canonical path. Allocated once and never freed, so no static
// destructor can unload a library whose objects another thread still uses at exit.
struct Libraries {
  std::mutex mutex;
  std::map<fs::path, std::pair<boost::dll::shared_library, LoadedPlugin>> by_path;
};
Libraries& libraries() {
  static Libraries* instance = new Libraries();
  return *instance;
}

std::string abi_text(unsigned major, unsigned minor) { return std::to_string(major) + "." + std::to_string(minor); }

LoadedPlugin::FileIdentity identity_of(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return {};
  return {static_cast<std::uintmax_t>(info.st_dev), static_cast<std::uintmax_t>(info.st_ino),
          static_cast<std::uintmax_t>(info.st_size), static_cast<std::int64_t>(info.st_mtim.tv_sec),
          static_cast<std::int64_t>(info.st_mtim.tv_nsec)};
}

std::vector<fs::path> shared_objects(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".so") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string search_path_text(const std::vector<fs::path>& dirs) {
  std::string text;
  for (const fs::path& dir : dirs) text += (text.empty() ? "" : ", ") + dir.string();
  return text;
}

}  // namespace

const char* kind_name(sdk::PluginKind kind) noexcept {
  switch (kind) {
    case sdk::PluginKind::quarantine: return "quarantine";
    case sdk::PluginKind::notification: return "notification";
    case sdk::PluginKind::whitelist: return "whitelist";
    case sdk::PluginKind::action: return "action";
  }
  return "unknown";
}

const LoadedPlugin& PluginRegistry::load_file(const fs::path& file) {
  std::error_code ec;
  fs::path canonical = fs::canonical(file, ec);
  if (ec) throw PluginError(file.string() + ": cannot open plugin: " + ec.message());

  Libraries& libs = libraries();
  std::lock_guard lock(libs.mutex);
  if (auto it = libs.by_path.find(canonical); it != libs.by_path.end()) return it->second.second;

  boost::dll::shared_library library;
  try {
    library.load(canonical, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw PluginError(canonical.string() + ": not a loadable shared object: " + e.what());
  }
  if (!library.has("qmilter_plugin_describe")) {
    throw PluginError(canonical.string() + ": not a qmilter plugin (no entry point qmilter_plugin_describe)");
  }
  const qmilter_plugin_header* header =
      library.get<const qmilter_plugin_header*() noexcept>("qmilter_plugin_describe")();
  if (header == nullptr || header->magic != QMILTER_PLUGIN_MAGIC) {
    throw PluginError(canonical.string() + ": not a qmilter plugin (bad header)");
  }
  if (header->abi_major != sdk::abi_major || header->abi_minor > sdk::abi_minor) {
    // Say what to do, not only what is wrong: the admin needs the package to rebuild with.
    const std::string host_abi = abi_text(sdk::abi_major, sdk::abi_minor);
    throw PluginError(canonical.string() + ": plugin built for SDK ABI " +
                      abi_text(header->abi_major, header->abi_minor) + ", this qmilter has ABI " + host_abi +
                      ": rebuild it against this qmilter's qmilter-devel (" + QMILTER_VERSION + ", SDK ABI " +
                      host_abi + ")");
  }
  if (header->kind < static_cast<unsigned>(sdk::PluginKind::quarantine) ||
      header->kind > static_cast<unsigned>(sdk::PluginKind::action) || header->name == nullptr) {
    throw PluginError(canonical.string() + ": not a qmilter plugin (unknown kind " + std::to_string(header->kind) + ")");
  }
  if (!library.has("qmilter_plugin_factory")) {
    throw PluginError(canonical.string() + ": not a qmilter plugin (no entry point qmilter_plugin_factory)");
  }
  sdk::PluginFactory* factory = library.get<sdk::PluginFactory*() noexcept>("qmilter_plugin_factory")();
  if (factory == nullptr) throw PluginError(canonical.string() + ": plugin returned no factory");
  auto options = factory->options();
  if (!options.ok()) throw PluginError(canonical.string() + ": " + options.error().message);

  LoadedPlugin plugin;
  plugin.file = canonical;
  plugin.kind = static_cast<sdk::PluginKind>(header->kind);
  plugin.name = sdk::ascii_lower(header->name);
  plugin.version = header->version ? header->version : "";
  plugin.description = header->description ? header->description : "";
  plugin.abi_major = header->abi_major;
  plugin.abi_minor = header->abi_minor;
  plugin.factory = factory;
  plugin.options = std::move(options).value();
  plugin.identity = identity_of(canonical);
  auto [it, inserted] = libs.by_path.emplace(canonical, std::make_pair(std::move(library), std::move(plugin)));
  return it->second.second;
}

const LoadedPlugin& PluginRegistry::load_usable(const fs::path& file) const {
  const LoadedPlugin& plugin = load_file(file);
  if (schema_check_) {
    std::vector<std::string> problems = schema_check_(plugin.options);
    if (!problems.empty()) throw PluginError(plugin.file.string() + ": bad option schema: " + problems.front());
  }
  return plugin;
}

const LoadedPlugin& PluginRegistry::find(sdk::PluginKind kind, const std::string& type, const fs::path& base_dir) const {
  if (type.find('/') != std::string::npos) {
    fs::path file = (fs::path(type).is_absolute() ? fs::path(type) : base_dir / type).lexically_normal();
    const LoadedPlugin& plugin = load_usable(file);
    if (plugin.kind != kind) {
      throw PluginError(plugin.file.string() + ": is a " + kind_name(plugin.kind) + " plugin, not a " +
                        kind_name(kind) + " plugin");
    }
    return plugin;
  }
  std::string name = sdk::ascii_lower(type);
  // Why the first file meant to be this plugin was refused: a better answer than the list
  // of available plugins when no usable file follows it.
  std::optional<std::string> refusal;
  // Directory by directory, as scan() ranks them: an earlier directory wins, and in each the
  // conventional file name first, so a normal start loads only the plugins it uses.
  for (const fs::path& dir : search_path_) {
    fs::path conventional = dir / (std::string(kind_name(kind)) + "_" + name + ".so");
    std::vector<fs::path> files = shared_objects(dir);
    std::stable_partition(files.begin(), files.end(), [&](const fs::path& file) { return file == conventional; });
    for (const fs::path& file : files) {
      const LoadedPlugin* plugin = nullptr;
      try {
        plugin = &load_file(file);
      } catch (const PluginError& e) {
        if (file == conventional && !refusal) refusal = e.what();
        continue;  // refused files are listed by scan() and by qmilter -l
      }
      if (plugin->kind != kind || plugin->name != name) continue;
      try {
        return load_usable(file);
      } catch (const PluginError& e) {
        if (!refusal) refusal = e.what();
      }
    }
  }
  if (refusal) throw PluginError(*refusal);
  PluginScan found = scan();
  std::vector<std::string> names;
  for (const LoadedPlugin* plugin : found.plugins) {
    if (plugin->kind == kind) names.push_back(plugin->name);
  }
  std::sort(names.begin(), names.end());
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  throw PluginError(std::string("no ") + kind_name(kind) + " plugin named '" + type + "' in " +
                    search_path_text(search_path_) + " (available: " + (list.empty() ? "none" : list) + ")");
}

PluginScan PluginRegistry::scan() const {
  PluginScan result;
  std::map<std::pair<sdk::PluginKind, std::string>, const LoadedPlugin*> taken;
  for (const fs::path& dir : search_path_) {
    // Only usable plugins are ranked: a refused file must not take the place of a good one.
    std::vector<const LoadedPlugin*> in_dir;
    for (const fs::path& file : shared_objects(dir)) {
      try {
        in_dir.push_back(&load_usable(file));
      } catch (const PluginError& e) {
        result.refused.push_back({file, e.what()});
      }
    }
    // find() takes <kind>_<name>.so first, so that file wins over another with the same name.
    std::stable_partition(in_dir.begin(), in_dir.end(), [](const LoadedPlugin* plugin) {
      return plugin->file.filename() == std::string(kind_name(plugin->kind)) + "_" + plugin->name + ".so";
    });
    for (const LoadedPlugin* plugin : in_dir) {
      auto [it, fresh] = taken.emplace(std::make_pair(plugin->kind, plugin->name), plugin);
      if (fresh) {
        result.plugins.push_back(plugin);
      } else if (it->second != plugin) {
        result.duplicates.push_back(plugin->file.string() + ": " + kind_name(plugin->kind) + " plugin '" + plugin->name +
                                    "' is also declared by " + it->second->file.string() + ", which is used");
      }
    }
  }
  return result;
}

bool LoadedPlugin::replaced_on_disk() const { return !(identity_of(file) == identity); }

fs::path default_plugin_dir() {
  std::error_code ec;
  fs::path exe = boost::dll::program_location(ec).native();
  if (ec) return fs::path(QMILTER_PLUGIN_RELATIVE_DIR);
  fs::path dir = (exe.parent_path() / QMILTER_PLUGIN_RELATIVE_DIR).lexically_normal();
  return dir;
}

}  // namespace qmilter::core
