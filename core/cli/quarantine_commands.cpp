// The quarantine commands of qmilterctl.
#include "core/cli/quarantine_commands.hpp"

#include <algorithm>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/cli/option_checks.hpp"
#include "core/cli/stored_message.hpp"
#include "core/cli/table.hpp"
#include "core/cli/web_commands.hpp"
#include "core/admin/quarantine_admin.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::cli {

namespace {

using Json = nlohmann::ordered_json;

// What the options of one command invocation hold.
struct QuarantineArgs {
  std::string name;
  std::string id;
  std::vector<std::string> from;
  std::vector<std::string> to;
  bool all = false;
  std::int64_t older_than_days = -1;  // -o DAYS; -1 = not given
  std::string link_recipient;         // link -t
  std::int64_t link_days = -1;        // link --days; -1 = web_link_days
};

std::vector<std::string> lower_all(std::vector<std::string> values) {
  for (std::string& v : values) v = sdk::ascii_lower(v);
  return values;
}

std::string join(const std::vector<std::string>& values, const char* separator = ", ") {
  std::string text;
  for (const std::string& v : values) text += (text.empty() ? "" : separator) + v;
  return text;
}

std::string local_time(std::int64_t unix_time) {
  std::time_t when = static_cast<std::time_t>(unix_time);
  std::tm local{};
  localtime_r(&when, &local);
  char text[32];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local));
}

Json optional_json(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }

Json entry_json(const sdk::StoredEntry& entry) {
  Json groups = Json::array();
  for (const auto& g : entry.subgroups) groups.push_back(optional_json(g));
  Json named = Json::object();
  for (const auto& [name, value] : entry.named_subgroups) named[name] = optional_json(value);
  Json headers = Json::object();
  for (const auto& [name, value] : entry.headers) headers[name] = value;
  return Json{{"id", entry.id},           {"mailfrom", entry.mailfrom}, {"recipients", entry.recipients},
              {"headers", headers},        {"date", entry.date},         {"queue_id", entry.queue_id},
              {"subgroups", groups},       {"named_subgroups", named}};
}

void print_json(CliContext& context, const Json& document) {
  *context.out << document.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

sdk::QuarantineStore& store_of(const core::Quarantine& quarantine) { return *quarantine.store.instance; }

sdk::StoredEntry load_entry(const core::Quarantine& quarantine, const std::string& id) {
  auto entry = admin::load_entry(quarantine, id);
  if (!entry.ok()) throw CliError(entry.error().message);
  return std::move(entry).value();
}

// The recipients a notify/release/delete applies to: -a = all of the entry's, else each
// -t, which must be one of them.
std::vector<std::string> chosen_recipients(const QuarantineArgs& args, const sdk::StoredEntry& entry) {
  if (args.all == !args.to.empty()) throw CliError("give either -t RECIPIENT... or -a", exit_usage);
  if (args.all) return entry.recipients;
  std::vector<std::string> chosen;
  for (const std::string& recipient : lower_all(args.to)) {
    if (std::find(entry.recipients.begin(), entry.recipients.end(), recipient) == entry.recipients.end()) {
      throw CliError("'" + recipient + "' is not a recipient of quarantine entry '" + entry.id +
                     "' (recipients: " + join(entry.recipients) + ")");
    }
    if (std::find(chosen.begin(), chosen.end(), recipient) == chosen.end()) chosen.push_back(recipient);
  }
  return chosen;
}

void list_quarantines(CliContext& context) {
  auto config = context.config();
  if (context.ids_only) {
    for (const core::Quarantine& q : config->quarantines) *context.out << q.name << '\n';
    return;
  }
  if (context.json) {
    Json list = Json::array();
    for (const core::Quarantine& q : config->quarantines) {
      list.push_back(Json{{"name", q.name},
                          {"quarantine_type", q.store.type},
                          {"notification_type", q.notifier.type},
                          {"whitelist_type", q.whitelist.type},
                          {"action", q.action.type},
                          {"smtp_host", q.smtp_host},
                          {"smtp_port", q.smtp_port}});
    }
    print_json(context, list);
    return;
  }
  Table table({"Name", "Quarantine", "Notification", "Whitelist", "Action"});
  for (const core::Quarantine& q : config->quarantines) {
    table.add_row({q.name, q.store.type, q.notifier.type, q.whitelist.type, q.action.type});
  }
  table.print(*context.out, context.out_is_terminal, terminal_width());
}

// The entries matching the command's filters. The filters are applied again to what the
// store returns, so a store that ignores one (say the age) can never make purge delete a
// young entry; an entry whose id is not a quarantine id stops the command before anything
// is listed or deleted.
std::vector<sdk::StoredEntry> find_entries(CliContext& context, const core::Quarantine& quarantine,
                                           const QuarantineArgs& args) {
  sdk::EntryFilter filter;
  filter.from = lower_all(args.from);
  filter.to = lower_all(args.to);
  if (args.older_than_days >= 0) filter.older_than_days = args.older_than_days;
  auto found = store_of(quarantine).find(filter);
  if (!found.ok()) throw CliError("quarantine '" + quarantine.name + "': " + found.error().message);
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<sdk::StoredEntry> matching;
  for (sdk::StoredEntry& entry : found.value()) {
    if (auto problem = sdk::entry_id_problem(entry.id)) {
      throw CliError("quarantine '" + quarantine.name + "': the store listed an invalid id '" + entry.id +
                     "': " + *problem + " (nothing was changed)");
    }
    if (sdk::entry_matches(filter, entry, now)) matching.push_back(std::move(entry));
  }
  if (std::size_t ignored = found.value().size() - matching.size(); ignored != 0) {
    *context.err << "qmilterctl: quarantine '" << quarantine.name << "': its " << quarantine.store.type
                 << " store listed " << ignored << " entr" << (ignored == 1 ? "y" : "ies")
                 << " that do not match the filter; left alone\n";
  }
  return matching;
}

void list_entries(CliContext& context, const QuarantineArgs& args) {
  const core::Quarantine& quarantine = context.quarantine(args.name);
  std::vector<sdk::StoredEntry> entries = find_entries(context, quarantine, args);
  if (context.ids_only) {
    for (const auto& entry : entries) *context.out << entry.id << '\n';
    return;
  }
  if (context.json) {
    Json list = Json::array();
    for (const auto& entry : entries) list.push_back(entry_json(entry));
    print_json(context, list);
    return;
  }
  Table table({"Quarantine-ID", "Date", "From", "Recipient(s)", "Subject"});
  for (const auto& entry : entries) {
    auto subject = entry.headers.find("subject");
    table.add_row({entry.id, local_time(entry.date), entry.mailfrom, join(entry.recipients),
                   subject == entry.headers.end() ? "" : subject->second});
  }
  table.print(*context.out, context.out_is_terminal, terminal_width());
}

void notify(CliContext& context, const QuarantineArgs& args) {
  const core::Quarantine& quarantine = context.quarantine(args.name);
  sdk::StoredEntry entry = load_entry(quarantine, args.id);
  std::vector<std::string> recipients = chosen_recipients(args, entry);
  sdk::Notifier& notifier = *quarantine.notifier.instance;
  if (!notifier.sends_notifications()) {
    throw CliError("quarantine '" + quarantine.name + "' has notification_type = " + quarantine.notifier.type +
                   ": it sends no notifications");
  }
  StoredMessage message(store_of(quarantine), std::move(entry));
  sdk::Status sent = notifier.notify(message, recipients, args.id, message.match());
  if (!sent.ok()) throw CliError("notification for '" + args.id + "' failed: " + sent.error().message);
  *context.out << "notification for '" << args.id << "' handed to the " << quarantine.notifier.type
               << " notifier for " << join(recipients) << '\n';
}

void release(CliContext& context, const QuarantineArgs& args) {
  const core::Quarantine& quarantine = context.quarantine(args.name);
  sdk::StoredEntry entry = load_entry(quarantine, args.id);
  std::vector<std::string> recipients = chosen_recipients(args, entry);
  std::vector<std::string> left = entry.recipients;
  std::vector<std::string> failed;
  // One transaction per recipient: each is removed from the entry only once the relay has
  // accepted the message for it, so a failure never loses anyone; each is claimed first, so
  // a recipient another admin is releasing at the same time is not sent twice.
  for (const std::string& recipient : recipients) {
    admin::ReleaseOutcome outcome = admin::release_to(quarantine, entry, recipient, left);
    if (!outcome.claimed.ok()) {
      *context.err << "qmilterctl: release of '" << args.id << "' to " << recipient
                   << ": nothing sent: " << outcome.claimed.error().message << '\n';
      failed.push_back(recipient);
      continue;
    }
    if (!outcome.delivered) {
      *context.err << "qmilterctl: release of '" << args.id << "' to " << recipient << " through " << outcome.relay
                   << " failed: " << outcome.reply << '\n';
      if (!outcome.abandoned.ok()) {
        *context.err << "qmilterctl: " << recipient << " stays claimed for up to " << sdk::claim_lifetime_seconds
                     << " s: " << outcome.abandoned.error().message << '\n';
      }
      failed.push_back(recipient);
      continue;
    }
    if (!outcome.removed.ok()) {
      *context.err << "qmilterctl: released '" << args.id << "' to " << recipient
                   << " but could not remove the recipient from the entry: " << outcome.removed.error().message << '\n';
      failed.push_back(recipient);
      continue;
    }
    *context.out << "released '" << args.id << "' to " << recipient << '\n';
  }
  if (!failed.empty()) {
    throw CliError("release of '" + args.id + "' failed for " + std::to_string(failed.size()) + " of " +
                   std::to_string(recipients.size()) + " recipient(s): " + join(failed));
  }
}

void delete_entry(CliContext& context, const QuarantineArgs& args) {
  const core::Quarantine& quarantine = context.quarantine(args.name);
  sdk::StoredEntry entry = load_entry(quarantine, args.id);
  if (args.all) {
    if (!args.to.empty()) throw CliError("give either -t RECIPIENT... or -a", exit_usage);
    if (sdk::Status removed = store_of(quarantine).remove(args.id); !removed.ok()) throw CliError(removed.error().message);
    *context.out << "deleted '" << args.id << "'\n";
    return;
  }
  std::vector<std::string> left = entry.recipients;
  for (const std::string& recipient : chosen_recipients(args, entry)) {
    if (sdk::Status removed = admin::take_recipient(quarantine, args.id, recipient, left); !removed.ok()) {
      throw CliError(removed.error().message);
    }
    *context.out << "deleted '" << args.id << "' for " << recipient << '\n';
  }
}

void get_message(CliContext& context, const QuarantineArgs& args) {
  const core::Quarantine& quarantine = context.quarantine(args.name);
  load_entry(quarantine, args.id);  // checks the id before the store sees it
  sdk::Status read = store_of(quarantine).read(args.id, [&](std::string_view chunk) {
    context.out->write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    return static_cast<bool>(*context.out);
  });
  if (!read.ok()) throw CliError("quarantine '" + quarantine.name + "': " + read.error().message);
  context.out->flush();
  if (!*context.out) throw CliError("cannot write the message to standard output");
}

void show_metadata(CliContext& context, const QuarantineArgs& args) {
  print_json(context, entry_json(load_entry(context.quarantine(args.name), args.id)));
}

void purge(CliContext& context, const QuarantineArgs& args) {
  const core::Quarantine& quarantine = context.quarantine(args.name);
  std::size_t removed = 0;
  for (const sdk::StoredEntry& entry : find_entries(context, quarantine, args)) {
    if (sdk::Status status = store_of(quarantine).remove(entry.id); !status.ok()) throw CliError(status.error().message);
    ++removed;
    if (context.ids_only) *context.out << entry.id << '\n';
  }
  if (!context.ids_only) {
    *context.out << "purged " << removed << " entr" << (removed == 1 ? "y" : "ies") << " older than "
                 << args.older_than_days << " day(s) from quarantine '" << quarantine.name << "'\n";
  }
}

void add_recipient_choice(CLI::App* command, QuarantineArgs& args, const char* verb) {
  command->add_option("-t,--to", args.to, std::string("Recipient(s) to ") + verb + " it for")->allow_extra_args(false);
  command->add_flag("-a,--all", args.all, std::string(verb) + " it for every recipient of the entry");
}

}  // namespace

void register_quarantine_commands(CLI::App& root, CliContext& context) {
  auto args = std::make_shared<QuarantineArgs>();

  CLI::App* list = root.add_subcommand("list", "List the configured quarantines");
  list->add_flag("-b,--batch", context.ids_only, "Names only, one per line");
  list->add_flag("--json", context.json, "JSON output");
  list->callback([&context] { list_quarantines(context); });

  CLI::App* quarantine = root.add_subcommand("quarantine", "Work with the messages of one quarantine");
  quarantine->add_option("name", args->name, "The quarantine (section name)")->required();
  quarantine->require_subcommand(1);

  CLI::App* entries = quarantine->add_subcommand("list", "List quarantined messages");
  entries->add_option("-f,--from", args->from, "Only messages from these envelope senders");
  entries->add_option("-t,--to", args->to, "Only messages to these recipients");
  entries->add_option("-o,--older-than", args->older_than_days, "Only messages older than DAYS days")
      ->check(age_in_days());
  entries->add_flag("-b,--batch", context.ids_only, "Quarantine ids only, one per line");
  entries->add_flag("--json", context.json, "JSON output");
  entries->callback([&context, args] { list_entries(context, *args); });

  CLI::App* notify_command = quarantine->add_subcommand("notify", "Send the notification again");
  notify_command->add_option("id", args->id, "Quarantine id")->required();
  add_recipient_choice(notify_command, *args, "notify");
  notify_command->callback([&context, args] { notify(context, *args); });

  CLI::App* release_command = quarantine->add_subcommand(
      "release", "Deliver the original message through smtp_host:smtp_port and remove the recipient from the entry");
  release_command->add_option("id", args->id, "Quarantine id")->required();
  add_recipient_choice(release_command, *args, "release");
  release_command->callback([&context, args] { release(context, *args); });

  CLI::App* delete_command = quarantine->add_subcommand("delete", "Delete a quarantined message (for some recipients)");
  delete_command->add_option("id", args->id, "Quarantine id")->required();
  add_recipient_choice(delete_command, *args, "delete");
  delete_command->callback([&context, args] { delete_entry(context, *args); });

  CLI::App* get_command = quarantine->add_subcommand("get", "Write the stored message to standard output");
  get_command->add_option("id", args->id, "Quarantine id")->required();
  get_command->callback([&context, args] { get_message(context, *args); });

  CLI::App* metadata_command = quarantine->add_subcommand("metadata", "Show the metadata of a quarantined message (JSON)");
  metadata_command->add_option("id", args->id, "Quarantine id")->required();
  metadata_command->callback([&context, args] { show_metadata(context, *args); });

  CLI::App* purge_command = quarantine->add_subcommand("purge", "Delete every message older than DAYS days");
  purge_command->add_option("-o,--older-than", args->older_than_days, "Age in days")
      ->required()
      ->check(age_in_days());
  purge_command->add_flag("-b,--batch", context.ids_only, "Print the ids of the deleted messages");
  purge_command->callback([&context, args] { purge(context, *args); });

  CLI::App* link_command = quarantine->add_subcommand("link", "Print a recipient's qmilter-web link to the message");
  link_command->add_option("id", args->id, "Quarantine id")->required();
  link_command->add_option("-t,--to", args->link_recipient, "The recipient the link is for")->required();
  link_command->add_option("--days", args->link_days, "Days the link works (default: web_link_days)")
      ->check(CLI::Range(1, 3650));
  link_command->callback([&context, args] {
    print_release_link(context, args->name, args->id, args->link_recipient, args->link_days);
  });
}

}  // namespace qmilter::cli
