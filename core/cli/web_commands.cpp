#include "core/cli/web_commands.hpp"

#include <algorithm>
#include <ctime>
#include <ostream>

#include "core/admin/quarantine_admin.hpp"
#include "core/links/link_issuer.hpp"
#include "core/links/web_secret.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::cli {
namespace {

void create_secret(CliContext& context) {
  std::string path;
  try {
    path = core::configured_web_secret_file({context.config_files, sdk::Role::admin, context.plugin_dir_fallback});
  } catch (const std::exception& e) {
    throw CliError(e.what(), exit_config);
  }
  if (path.empty()) throw CliError("[global] web_secret_file is not set: say where the secret goes first", exit_config);
  auto created = links::create_secret(path);
  if (!created.ok()) throw CliError(created.error().message);
  if (!created.value()) {
    *context.out << "web secret " << path << " exists; left as it is\n";
    return;
  }
  *context.out << "created web secret " << path
               << " (mode 0600; copy it to every host that sends notifications or runs qmilter-web)\n";
}

}  // namespace

void print_release_link(CliContext& context, const std::string& quarantine_name, const std::string& id,
                        const std::string& recipient_given, std::int64_t days) {
  auto config = context.config();
  if (!config->web.key || config->web.base_url.empty()) {
    throw CliError("qmilter-web links need [global] web_base_url and web_secret_file");
  }
  const core::Quarantine& quarantine = context.quarantine(quarantine_name);
  auto entry = admin::load_entry(quarantine, id);
  if (!entry.ok()) throw CliError(entry.error().message);
  const std::string recipient = sdk::ascii_lower(recipient_given);
  const auto& recipients = entry.value().recipients;
  if (std::find(recipients.begin(), recipients.end(), recipient) == recipients.end()) {
    std::string list;
    for (const std::string& r : recipients) list += (list.empty() ? "" : ", ") + r;
    throw CliError("'" + recipient + "' is not a recipient of quarantine entry '" + id + "' (recipients: " + list + ")");
  }
  links::LinkIssuer issuer(config->web.key, config->web.base_url, quarantine.name, config->web.link_days);
  auto url = issuer.url(id, recipient, days < 0 ? config->web.link_days : days,
                        static_cast<std::int64_t>(std::time(nullptr)));
  if (!url.ok()) throw CliError(url.error().message);
  *context.out << url.value() << '\n';
}

void register_web_commands(CLI::App& root, CliContext& context) {
  CLI::App* web = root.add_subcommand("web", "Set up qmilter-web");
  web->require_subcommand(1);
  CLI::App* secret = web->add_subcommand("secret", "Create web_secret_file (32 random bytes, mode 0600) unless it exists");
  secret->callback([&context] { create_secret(context); });
}

}  // namespace qmilter::cli
