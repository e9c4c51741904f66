// The import command (see the header). It is idempotent without marking anything: an entry
// counts as imported when the target already holds an entry with the same date, queue id and
// envelope sender, so running it twice, or again after an interruption, imports nothing
// twice. The source directory is only read.
#include "core/cli/import_command.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <tuple>

#include "core/cli/stored_message.hpp"
#include "core/config/option_values.hpp"
#include "core/log/plugin_logger.hpp"
#include "core/plugins/plugin_registry.hpp"

namespace qmilter::cli {
namespace {

using EntryKey = std::tuple<std::int64_t, std::string, std::string>;  // date, queue id, sender

EntryKey key_of(const sdk::StoredEntry& entry) { return {entry.date, entry.queue_id, entry.mailfrom}; }

// The source quarantine: the `file` plugin over `directory`, every other option its default.
struct SourceStore {
  std::unique_ptr<core::PluginLogger> logger;
  std::unique_ptr<sdk::QuarantineStore> store;
};

SourceStore open_source(const core::Config& config, const std::string& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) throw CliError("--from '" + directory + "' is not a directory");
  core::PluginRegistry registry(std::vector<std::filesystem::path>(config.plugin_path.begin(), config.plugin_path.end()));
  const core::LoadedPlugin* plugin = nullptr;
  try {
    plugin = &registry.find(sdk::PluginKind::quarantine, "file", config.config_dir);
  } catch (const core::PluginError& e) {
    throw CliError(std::string("cannot load the file quarantine plugin to read --from: ") + e.what());
  }
  std::map<std::string, sdk::OptionValue> values;
  const std::string cwd = std::filesystem::current_path().string();
  try {
    for (const sdk::OptionSpec& spec : plugin->options) {
      if (spec.name == "quarantine_directory") {
        values.emplace(spec.name, core::convert_option(spec, directory, cwd));
      } else if (!spec.default_value.empty()) {
        values.emplace(spec.name, core::convert_option(spec, spec.default_value, cwd));
      }
    }
  } catch (const std::exception& e) {
    throw CliError(std::string("the file quarantine plugin's options: ") + e.what());
  }
  SourceStore source;
  source.logger = std::make_unique<core::PluginLogger>("import/file");
  sdk::PluginContext context{"import", cwd, config.state_dir, sdk::Role::admin, source.logger.get(), {}};
  auto& factory = static_cast<const sdk::Factory<sdk::QuarantineStore>&>(*plugin->factory);
  auto made = factory.create(sdk::Options("import", std::move(values)), context);
  if (!made.ok()) throw CliError("--from '" + directory + "': " + made.error().message);
  source.store = std::move(made).value();
  return source;
}

void import_directory(CliContext& context, const std::string& name, const std::string& directory) {
  const core::Quarantine& quarantine = context.quarantine(name);
  sdk::QuarantineStore& target = *quarantine.store.instance;
  if (!target.keeps_messages()) {
    throw CliError("quarantine '" + name + "' has quarantine_type = " + quarantine.store.type + ": it keeps no messages");
  }
  SourceStore source = open_source(*context.config(), directory);

  auto listed = source.store->find({});
  if (!listed.ok()) throw CliError("--from '" + directory + "': " + listed.error().message);
  std::vector<sdk::StoredEntry> entries = std::move(listed).value();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.id < b.id; });

  auto existing = target.find({});
  if (!existing.ok()) throw CliError("quarantine '" + name + "': " + existing.error().message);
  std::map<EntryKey, std::size_t> present;  // how many target entries have each key
  for (const sdk::StoredEntry& entry : existing.value()) ++present[key_of(entry)];

  std::size_t imported = 0;
  std::size_t skipped = 0;
  for (sdk::StoredEntry& entry : entries) {
    if (auto problem = sdk::entry_id_problem(entry.id)) {
      throw CliError("--from '" + directory + "': the file store listed an invalid id '" + entry.id + "': " + *problem);
    }
    // Several source entries may share a key (one message quarantined twice in one second):
    // each one already in the target accounts for one of them.
    if (std::size_t& left = present[key_of(entry)]; left > 0) {
      --left;
      ++skipped;
      continue;
    }
    const std::string source_id = entry.id;
    const std::vector<std::string> recipients = entry.recipients;
    StoredMessage message(*source.store, std::move(entry));
    auto stored = target.store(message, recipients, message.match());
    if (!stored.ok()) {
      throw CliError("importing '" + source_id + "' into quarantine '" + name + "' failed after " +
                     std::to_string(imported) + " imported (running import again continues): " + stored.error().message);
    }
    ++imported;
    *context.out << "imported '" << source_id << "' as '" << stored.value() << "'\n";
  }
  *context.out << "imported " << imported << " entr" << (imported == 1 ? "y" : "ies") << " from " << directory
               << " into quarantine '" << name << "' (" << skipped << " already there)\n";
}

}  // namespace

void register_import_command(CLI::App& root, CliContext& context) {
  CLI::App* quarantine = root.get_subcommand("quarantine");
  auto directory = std::make_shared<std::string>();
  CLI::App* command = quarantine->add_subcommand(
      "import", "Copy every entry of a pyquarantine/file quarantine directory into this quarantine (idempotent)");
  command->add_option("--from", *directory, "The quarantine directory to copy from (left unchanged)")->required();
  command->callback([&context, quarantine, directory] {
    import_directory(context, quarantine->get_option("name")->as<std::string>(), *directory);
  });
}

}  // namespace qmilter::cli
