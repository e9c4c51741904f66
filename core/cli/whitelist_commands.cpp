// qmilterctl's whitelist commands: list, add (validated, duplicates and covered pairs refused
// unless --force), delete and purge, all through the quarantine's sdk::Whitelist.
#include "core/cli/whitelist_commands.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/cli/option_checks.hpp"
#include "core/cli/table.hpp"
#include "qmilter/sdk/whitelist_entry.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::cli {

namespace {

using Json = nlohmann::ordered_json;

// What the options of one command invocation hold.
struct WhitelistArgs {
  std::string name;
  std::vector<std::string> from;  // list filter
  std::vector<std::string> to;
  std::int64_t older_than_days = -1;  // -o DAYS; -1 = not given
  std::string mailfrom;               // add
  std::string recipient;
  std::string comment;
  bool permanent = false;
  bool force = false;
  std::int64_t id = 0;  // delete
};

std::vector<std::string> lower_all(std::vector<std::string> values) {
  for (std::string& v : values) v = sdk::ascii_lower(v);
  return values;
}

std::string shown(const std::string& value) { return value.empty() ? "(anyone)" : value; }

sdk::Whitelist& whitelist_of(CliContext& context, const std::string& name) {
  const core::Quarantine& quarantine = context.quarantine(name);
  return *quarantine.whitelist.instance;
}

std::string failed(const std::string& name, const sdk::Error& error) {
  return "whitelist of quarantine '" + name + "': " + error.message;
}

Json entry_json(const sdk::WhitelistEntry& entry) {
  return Json{{"id", entry.id},
              {"mailfrom", entry.mailfrom},
              {"recipient", entry.recipient},
              {"created", entry.created},
              {"last_used", entry.last_used},
              {"comment", entry.comment},
              {"permanent", entry.permanent}};
}

// The seconds and fraction of a stored datetime add nothing on screen.
std::string minutes(const std::string& datetime) { return datetime.substr(0, 16); }

void print_entries(CliContext& context, const std::vector<sdk::WhitelistEntry>& entries, std::ostream& out) {
  if (context.ids_only) {
    for (const auto& entry : entries) out << entry.id << '\n';
    return;
  }
  if (context.json) {
    Json list = Json::array();
    for (const auto& entry : entries) list.push_back(entry_json(entry));
    out << list.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    return;
  }
  Table table({"ID", "From", "To", "Created", "Last used", "Comment", "Permanent"});
  for (const auto& entry : entries) {
    table.add_row({std::to_string(entry.id), shown(entry.mailfrom), shown(entry.recipient), minutes(entry.created),
                   minutes(entry.last_used), entry.comment, entry.permanent ? "yes" : "no"});
  }
  table.print(out, context.out_is_terminal, terminal_width());
}

void list_entries(CliContext& context, const WhitelistArgs& args) {
  sdk::WhitelistFilter filter;
  filter.from = lower_all(args.from);
  filter.to = lower_all(args.to);
  if (args.older_than_days >= 0) filter.older_than_days = args.older_than_days;
  auto entries = whitelist_of(context, args.name).list(filter);
  if (!entries.ok()) throw CliError(failed(args.name, entries.error()));
  print_entries(context, entries.value(), *context.out);
}

void add_entry(CliContext& context, const WhitelistArgs& args) {
  const std::string mailfrom = sdk::ascii_lower(args.mailfrom);
  const std::string recipient = sdk::ascii_lower(args.recipient);
  for (const auto& [option, value] : {std::pair{"-f/--from", mailfrom}, std::pair{"-t/--to", recipient}}) {
    if (auto problem = sdk::whitelist_entry_problem(value)) {
      // A value of thousands of characters would bury the reason: show its start only.
      const std::string shown_value = value.size() > 80 ? value.substr(0, 80) + "..." : value;
      throw CliError(std::string(option) + " '" + shown_value + "' is not a valid whitelist entry: " + *problem +
                         "; give \"\" (anyone), @domain or an address",
                     exit_usage);
    }
  }
  sdk::Whitelist& whitelist = whitelist_of(context, args.name);
  auto covering = whitelist.covering(mailfrom, recipient);
  if (!covering.ok()) throw CliError(failed(args.name, covering.error()));
  for (const auto& entry : covering.value()) {
    if (entry.mailfrom == mailfrom && entry.recipient == recipient) {
      throw CliError("an entry from " + shown(mailfrom) + " to " + shown(recipient) + " already exists (id " +
                     std::to_string(entry.id) + ")");
    }
  }
  if (!covering.value().empty() && !args.force) {
    *context.err << "qmilterctl: these entries already whitelist " << shown(mailfrom) << " to " << shown(recipient)
                 << ":\n";
    print_entries(context, covering.value(), *context.err);
    throw CliError("not added: the pair is already covered (use --force to add it anyway)");
  }
  sdk::WhitelistEntry entry;
  entry.mailfrom = mailfrom;
  entry.recipient = recipient;
  entry.comment = args.comment;
  entry.permanent = args.permanent;
  auto id = whitelist.add(entry);
  if (!id.ok()) throw CliError(failed(args.name, id.error()));
  *context.out << "added whitelist entry " << id.value() << ": from " << shown(mailfrom) << " to " << shown(recipient)
               << (args.permanent ? " (permanent)" : "") << '\n';
}

void delete_entry(CliContext& context, const WhitelistArgs& args) {
  sdk::Status removed = whitelist_of(context, args.name).remove(args.id);
  if (!removed.ok()) throw CliError(failed(args.name, removed.error()));
  *context.out << "deleted whitelist entry " << args.id << '\n';
}

void purge_entries(CliContext& context, const WhitelistArgs& args) {
  auto purged = whitelist_of(context, args.name).purge();
  if (!purged.ok()) throw CliError(failed(args.name, purged.error()));
  *context.out << "purged " << purged.value() << " expired entr" << (purged.value() == 1 ? "y" : "ies")
               << " from the whitelist of quarantine '" << args.name << "'\n";
}

}  // namespace

void register_whitelist_commands(CLI::App& root, CliContext& context) {
  auto args = std::make_shared<WhitelistArgs>();

  CLI::App* whitelist = root.add_subcommand("whitelist", "Manage a quarantine's whitelist");
  whitelist->add_option("name", args->name, "The quarantine (section name)")->required();
  whitelist->require_subcommand(1);

  CLI::App* list = whitelist->add_subcommand("list", "List whitelist entries");
  list->add_option("-f,--from", args->from, "Only entries with these senders (as stored: address, @domain)");
  list->add_option("-t,--to", args->to, "Only entries with these recipients (as stored)");
  list->add_option("-o,--older-than", args->older_than_days, "Only entries not used for DAYS days")
      ->check(age_in_days());
  list->add_flag("-b,--batch", context.ids_only, "Entry ids only, one per line");
  list->add_flag("--json", context.json, "JSON output");
  list->callback([&context, args] { list_entries(context, *args); });

  CLI::App* add = whitelist->add_subcommand("add", "Whitelist a sender for a recipient");
  add->add_option("-f,--from", args->mailfrom, "Sender: an address, @domain, or \"\" for anyone")->required();
  add->add_option("-t,--to", args->recipient, "Recipient: an address, @domain, or \"\" for anyone")->required();
  add->add_option("-c,--comment", args->comment, "Why the entry exists");
  add->add_flag("-p,--permanent", args->permanent, "Never expires (whitelist_expire_days)");
  add->add_flag("--force", args->force, "Add even when other entries already cover the pair");
  add->callback([&context, args] { add_entry(context, *args); });

  CLI::App* remove = whitelist->add_subcommand("delete", "Delete a whitelist entry");
  remove->add_option("id", args->id, "Entry id (see list)")->required()->check(entry_id());
  remove->callback([&context, args] { delete_entry(context, *args); });

  CLI::App* purge = whitelist->add_subcommand("purge", "Delete entries unused for whitelist_expire_days (not permanent ones)");
  purge->callback([&context, args] { purge_entries(context, *args); });
}

}  // namespace qmilter::cli
