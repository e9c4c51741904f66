#include "core/cli/digest_command.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <unordered_set>

#include "core/cli/digest_message.hpp"
#include "core/cli/digest_notes.hpp"
#include "core/cli/digest_state.hpp"
#include "core/links/link_issuer.hpp"
#include "core/log/log_sink.hpp"
#include "core/mime/header_text.hpp"
#include "core/smtp/smtp_client.hpp"

namespace qmilter::cli {
namespace {

using Json = nlohmann::ordered_json;

// How long one digest may take before the relay counts as unreachable.
constexpr std::chrono::seconds relay_timeout{60};

struct DigestArgs {
  std::vector<std::string> quarantines;  // -q; empty = every quarantine with digest on
  bool dry_run = false;
  bool force = false;  // ignore the periods
};

// A row and where it came from, until the recipient's digest is built.
struct PendingRow {
  DigestRow row;
  std::size_t precedence = 0;  // the quarantine's index
  bool reported = false;       // by an earlier run, as the state_dir says (the store's notes may add more)
};

// Whether the quarantine's store keeps the digest state where every host sharing it sees
// it. Only plugins built with SDK 2.3 or later have the virtual to ask.
bool keeps_digest_notes(const core::Quarantine& quarantine) {
  return quarantine.store.abi_minor >= 3 && quarantine.store.instance->keeps_notes();
}

// When the last run that covered the quarantine ended, on any host sharing its store.
std::int64_t last_run(const core::Quarantine& quarantine, const DigestState& state) {
  std::int64_t last = state.last_run(quarantine.name);
  if (keeps_digest_notes(quarantine)) {
    auto shared = DigestNotes(*quarantine.store.instance).last_run();
    if (!shared.ok()) throw CliError("quarantine '" + quarantine.name + "': " + shared.error().message);
    last = std::max(last, shared.value());
  }
  return last;
}

// Due when the last run that covered it ended at least 90% of its period ago, so a timer
// that fires a little early (or late, then early) does not skip a whole period.
bool is_due(const core::Quarantine& quarantine, const DigestState& state, std::int64_t now) {
  const std::int64_t period = core::digest_period_seconds(quarantine.digest.period);
  return now - last_run(quarantine, state) >= period - period / 10;
}

// One recipient's claims on the notes of the stores that keep them, for one digest.
struct SharedClaim {
  const core::Quarantine* quarantine = nullptr;
  RecipientNote note;         // as claimed
  std::set<std::string> ids;  // every entry of this quarantine held for the recipient
};

// Gives back the claims taken so far: nothing is sent by this run.
void release_claims(const std::string& recipient, const std::vector<SharedClaim>& claims) {
  for (const SharedClaim& claim : claims) {
    auto released = DigestNotes(*claim.quarantine->store.instance).release(recipient, claim.note);
    if (!released.ok()) {
      // The claim then lives out its lifetime and a later run sends the digest.
      core::log::warning("", "digest: giving back the claim on <" + recipient + "> in quarantine '" +
                                 claim.quarantine->name + "' failed: " + released.error().message);
    }
  }
}

std::vector<const core::Quarantine*> chosen_quarantines(const core::Config& config, const DigestArgs& args) {
  std::vector<const core::Quarantine*> chosen;
  for (const std::string& name : args.quarantines) {
    const core::Quarantine* quarantine = config.find(name);
    if (!quarantine) throw CliError("no quarantine '" + name + "' in the configuration", exit_usage);
    if (quarantine->digest.period == core::DigestPeriod::off) {
      throw CliError("quarantine '" + name + "' has digest = off", exit_usage);
    }
  }
  for (const core::Quarantine& quarantine : config.quarantines) {
    if (quarantine.digest.period == core::DigestPeriod::off) continue;
    if (!args.quarantines.empty() &&
        std::find(args.quarantines.begin(), args.quarantines.end(), quarantine.name) == args.quarantines.end()) {
      continue;
    }
    chosen.push_back(&quarantine);
  }
  return chosen;
}

std::string header_of(const sdk::StoredEntry& entry, const std::string& name) {
  auto it = entry.headers.find(name);
  return it == entry.headers.end() ? std::string() : mime::decode_header_value(it->second);
}

void print_rows(std::ostream& out, const std::vector<DigestRow>& rows) {
  for (const DigestRow& row : rows) {
    out << "  " << row.date << '\t' << row.quarantine << '\t' << row.id << '\t'
        << mime::without_line_breaks(row.from) << '\t' << mime::without_line_breaks(row.subject) << '\n';
  }
}

Json rows_json(const std::vector<DigestRow>& rows) {
  Json list = Json::array();
  for (const DigestRow& row : rows) {
    list.push_back(Json{{"quarantine", row.quarantine}, {"id", row.id}, {"date", row.date}, {"from", row.from},
                        {"subject", row.subject}, {"link", row.link}});
  }
  return list;
}

void run_digest(CliContext& context, const DigestArgs& args) {
  auto config = context.config();
  const std::vector<const core::Quarantine*> chosen = chosen_quarantines(*config, args);
  if (chosen.empty()) {
    // The timer may be on before any quarantine has digests: that is no failure.
    if (!context.json) *context.out << "no quarantine has digest on: nothing to do\n";
    if (context.json) *context.out << Json{{"dry_run", args.dry_run}, {"quarantines", Json::array()},
                                           {"digests", Json::array()}, {"skipped", Json::array()}}.dump(2) << '\n';
    return;
  }
  auto opened = DigestState::open(config->state_dir, args.dry_run);
  if (!opened.ok()) throw CliError(opened.error().message);
  DigestState& state = opened.value();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));

  // Per recipient the rows no digest reported yet; `held` is every (quarantine, id,
  // recipient) the stores hold now, which the state keeps its lines for.
  std::map<std::string, std::vector<PendingRow>> pending;
  std::unordered_set<std::string> held;
  std::vector<std::string> covered;
  Json skipped = Json::array();
  for (const core::Quarantine* quarantine : chosen) {
    if (!args.force && !is_due(*quarantine, state, now)) {
      core::log::info("", "digest: quarantine '" + quarantine->name + "' is not due yet (use --force to include it)");
      if (!context.json) *context.out << "quarantine '" << quarantine->name << "' is not due yet\n";
      continue;
    }
    covered.push_back(quarantine->name);
    sdk::EntryFilter everything;
    everything.header_names = {"from", "subject"};  // all a row shows
    auto found = quarantine->store.instance->find(everything);
    if (!found.ok()) {
      throw CliError("quarantine '" + quarantine->name + "': " + found.error().message +
                     " (no digest was sent for it; nothing is marked as reported)");
    }
    for (sdk::StoredEntry& listed : found.value()) {
      // Moved out, so each entry's metadata (every header) is freed once its row is taken:
      // the rows reuse that memory instead of adding to it.
      const sdk::StoredEntry entry = std::move(listed);
      if (sdk::entry_id_problem(entry.id)) continue;  // a store that breaks its contract; never named
      DigestRow row;
      row.quarantine = quarantine->name;
      row.id = entry.id;
      row.date = entry.date;
      row.from = header_of(entry, "from");
      if (row.from.empty()) row.from = entry.mailfrom;
      row.subject = header_of(entry, "subject");
      const bool shared = keeps_digest_notes(*quarantine);
      for (const std::string& recipient : entry.recipients) {
        held.insert(quarantine->name + '\t' + entry.id + '\t' + recipient);
        const bool reported = state.reported(quarantine->name, entry.id, recipient);
        // A shared quarantine's rows all stay: the recipient's note is written with every
        // entry still held for them.
        if (reported && !shared) continue;
        pending[recipient].push_back(PendingRow{row, quarantine->index, reported});
      }
    }
  }

  Json report = Json::array();
  bool failed = false;
  for (auto& [recipient, rows] : pending) {
    if (!is_digest_mailbox(recipient)) {
      core::log::warning("", "digest: skipped recipient '" + mime::without_line_breaks(mime::repair_utf8(recipient)) +
                                 "': not a mailbox a digest can go to");
      skipped.push_back(mime::repair_utf8(recipient));
      continue;
    }
    // The notes of the stores that keep them: what they say was reported, and (for a real
    // run) this run's claim on the recipient in each.
    std::vector<SharedClaim> claims;
    std::optional<std::string> not_now;  // why this run leaves the recipient (to another run)
    std::optional<std::string> broken;   // a store failure
    std::set<std::size_t> note_quarantines;
    for (const PendingRow& p : rows) {
      if (keeps_digest_notes(config->quarantines[p.precedence])) note_quarantines.insert(p.precedence);
    }
    std::set<std::string> note_sent;  // quarantine \t id, reported according to the notes
    for (std::size_t index : note_quarantines) {
      const core::Quarantine& quarantine = config->quarantines[index];
      const DigestNotes notes(*quarantine.store.instance);
      auto read = notes.read(recipient);
      if (!read.ok()) {
        broken = "quarantine '" + quarantine.name + "': " + read.error().message;
        break;
      }
      for (const std::string& id : read.value().sent) note_sent.insert(quarantine.name + '\t' + id);
      SharedClaim claim{&quarantine, read.value(), {}};
      for (const PendingRow& p : rows) {
        if (p.precedence == index) claim.ids.insert(p.row.id);
      }
      if (args.dry_run) continue;
      if (read.value().claimed_at(now)) {
        not_now = "another run is sending it (quarantine '" + quarantine.name + "')";
        break;
      }
      auto claimed = notes.claim(recipient, read.value(), now);
      if (!claimed.ok()) {
        broken = "quarantine '" + quarantine.name + "': " + claimed.error().message;
        break;
      }
      if (!claimed.value()) {
        not_now = "another run claimed it first (quarantine '" + quarantine.name + "')";
        break;
      }
      claim.note = std::move(*claimed.value());
      claims.push_back(std::move(claim));
    }
    if (not_now || broken) {
      release_claims(recipient, claims);
      if (broken) {
        failed = true;
        core::log::warning("", "digest to <" + recipient + "> not sent: " + *broken + "; it is sent on the next run");
        if (!context.json) *context.err << "digest to " << recipient << " failed: " << *broken << '\n';
        report.push_back(Json{{"recipient", recipient}, {"sent", false}, {"error", *broken}});
      } else {
        core::log::info("", "digest: left <" + recipient + "> to another run: " + *not_now);
      }
      continue;
    }
    std::erase_if(rows, [&note_sent](const PendingRow& p) {
      return p.reported || note_sent.count(p.row.quarantine + '\t' + p.row.id) != 0;
    });
    if (rows.empty()) {
      release_claims(recipient, claims);
      continue;
    }

    std::sort(rows.begin(), rows.end(), [](const PendingRow& a, const PendingRow& b) {
      if (a.row.date != b.row.date) return a.row.date > b.row.date;
      if (a.precedence != b.precedence) return a.precedence < b.precedence;
      return a.row.id > b.row.id;
    });
    std::size_t first = rows.front().precedence;
    for (const PendingRow& p : rows) first = std::min(first, p.precedence);
    const core::Quarantine& settings_from = config->quarantines[first];

    std::vector<DigestRow> listed;
    listed.reserve(rows.size());
    for (PendingRow& p : rows) {
      const core::Quarantine* of = config->find(p.row.quarantine);
      if (of->release_links) {
        auto link = of->release_links->url(p.row.id, recipient);
        if (link.ok()) p.row.link = std::move(link).value();
      }
      listed.push_back(std::move(p.row));
    }
    rows.clear();
    rows.shrink_to_fit();
    std::string page;
    if (config->web.key && !config->web.base_url.empty()) {
      auto url = links::recipient_page_url(*config->web.key, config->web.base_url, recipient, config->web.link_days, now);
      if (url.ok()) page = std::move(url).value();
    }

    Json item{{"recipient", recipient}, {"quarantine", settings_from.name}, {"count", listed.size()}};
    if (args.dry_run) {
      item["entries"] = rows_json(listed);
      report.push_back(std::move(item));
      if (!context.json) {
        *context.out << recipient << ": " << listed.size() << " message(s), via quarantine '" << settings_from.name
                     << "'\n";
        print_rows(*context.out, listed);
      }
      continue;
    }

    auto message = build_digest(settings_from.digest, recipient, listed, page);
    smtp::Outcome sent;
    if (!message.ok()) {
      sent.reply = message.error().message;
    } else {
      smtp::Server server;
      server.host = settings_from.smtp_host;
      server.port = settings_from.smtp_port;
      server.timeout = relay_timeout;
      const std::string& bytes = message.value();
      sent = smtp::send(server, settings_from.digest.envelope_from, {recipient},
                        [&bytes](const sdk::ChunkVisitor& visit) -> sdk::Status {
                          visit(bytes);
                          return {};
                        });
    }
    item["sent"] = sent.delivered;
    if (!sent.delivered) {
      failed = true;
      item["error"] = sent.reply;
      core::log::warning("", "digest to <" + recipient + "> through " + settings_from.smtp_host + ":" +
                                 std::to_string(settings_from.smtp_port) + " failed: " + sent.reply +
                                 "; it is sent on the next run");
      if (!context.json) *context.err << "digest to " << recipient << " failed: " << sent.reply << '\n';
      report.push_back(std::move(item));
      release_claims(recipient, claims);
      continue;
    }
    for (const SharedClaim& claim : claims) {
      // Every entry still held for the recipient was reported now or earlier.
      auto recorded = DigestNotes(*claim.quarantine->store.instance).record(recipient, claim.note, claim.ids);
      if (!recorded.ok() || !recorded.value()) {
        const std::string why = recorded.ok() ? "its claim was taken over by another run" : recorded.error().message;
        throw CliError("digest to <" + recipient + "> was sent, but recording it in quarantine '" +
                       claim.quarantine->name + "' failed: " + why +
                       "; stopped so that no further digest goes out unrecorded");
      }
    }
    // The state_dir keeps what the notes do not (and nothing, with no sync, when they keep all).
    std::vector<DigestState::Pair> pairs;
    for (const DigestRow& row : listed) {
      if (!keeps_digest_notes(*config->find(row.quarantine))) pairs.push_back({row.quarantine, row.id});
    }
    if (auto recorded = pairs.empty() ? sdk::Status{} : state.record(recipient, pairs); !recorded.ok()) {
      // Sending on would repeat every digest from here: stop.
      throw CliError("digest to <" + recipient + "> was sent, but recording it failed: " + recorded.error().message +
                     "; stopped so that no further digest goes out unrecorded");
    }
    core::log::info("", "digest to <" + recipient + ">: " + std::to_string(listed.size()) + " message(s)");
    if (!context.json) *context.out << "sent digest to " << recipient << ": " << listed.size() << " message(s)\n";
    report.push_back(std::move(item));
  }

  if (!args.dry_run) {
    auto finished = state.finish(covered, now, [&held](const std::string& q, const std::string& id, const std::string& r) {
      return held.count(q + '\t' + id + '\t' + r) != 0;
    });
    if (!finished.ok()) throw CliError("digests were sent and recorded, but the state could not be compacted: " +
                                       finished.error().message);
    for (const std::string& name : covered) {
      const core::Quarantine& quarantine = *config->find(name);
      if (!keeps_digest_notes(quarantine)) continue;
      if (auto ran = DigestNotes(*quarantine.store.instance).finish_run(now); !ran.ok()) {
        throw CliError("digests were sent and recorded, but quarantine '" + name +
                       "' could not note when this run ended: " + ran.error().message);
      }
    }
  }
  if (context.json) {
    *context.out << Json{{"dry_run", args.dry_run}, {"quarantines", covered}, {"digests", report}, {"skipped", skipped}}
                        .dump(2, ' ', false, Json::error_handler_t::replace)
                 << '\n';
  }
  if (failed) throw CliError("some digests were not sent; they are sent on the next run");
}

bool is_special(unsigned char c) {
  return c <= 0x20 || c == 0x7F || std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

bool is_digest_mailbox(std::string_view address) {
  if (address.size() < 3 || address.size() > 254) return false;
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || at + 1 == address.size()) return false;
  for (std::size_t i = 0; i < address.size(); ++i) {
    const auto c = static_cast<unsigned char>(address[i]);
    if (is_special(c)) return false;
    if (c == '@' && i != at) return false;
  }
  const std::string_view domain = address.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos) return false;
  for (unsigned char c : domain) {
    const bool fine = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c >= 0x80;
    if (!fine) return false;
  }
  return true;
}

void register_digest_command(CLI::App& root, CliContext& context) {
  auto args = std::make_shared<DigestArgs>();
  CLI::App* digest = root.add_subcommand("digest", "Send each recipient one e-mail listing what was quarantined for them");
  digest->add_option("-q,--quarantine", args->quarantines, "Only this quarantine (repeatable)")->allow_extra_args(false);
  digest->add_flag("--dry-run", args->dry_run, "Print who would get what; send nothing, record nothing");
  digest->add_flag("--force", args->force, "Include quarantines whose digest period is not over yet");
  digest->add_flag("--json", context.json, "Print the outcome as JSON");
  digest->callback([&context, args] { run_digest(context, *args); });
}

}  // namespace qmilter::cli
