#include "core/web/web_service.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "core/admin/quarantine_admin.hpp"
#include "core/links/link_token.hpp"
#include "core/log/log_sink.hpp"
#include "core/mime/header_text.hpp"
#include "core/mime/preview.hpp"
#include "core/web/pages.hpp"
#include "core/web/web_metrics.hpp"
#include "qmilter/sdk/entry_id.hpp"
#include "qmilter/sdk/whitelist_entry.hpp"

namespace qmilter::web {

struct WebService::Link {
  std::shared_ptr<const core::Config> config;  // the generation the request started on
  std::string token;
  links::LinkClaim claim;
  const core::Quarantine* quarantine = nullptr;  // in *config
};

struct WebService::RecipientLink {
  std::shared_ptr<const core::Config> config;  // the generation the request started on
  std::string token;
  links::RecipientClaim claim;
  std::size_t page = 1;
};

struct WebService::Held {
  const core::Quarantine* quarantine = nullptr;  // in the request's config
  sdk::StoredEntry entry;
};

namespace {

// A recipient's page lists this many entries; the rest are on further pages.
constexpr std::size_t rows_per_page = 50;

// The page shows the start of a message: more is never needed for a preview, and a 100 MB
// message must not be read whole for every visit.
constexpr std::size_t max_message_read = 4 * 1024 * 1024;
constexpr std::size_t max_preview_bytes = 256 * 1024;
constexpr std::size_t max_shown_header = 300;
constexpr std::chrono::milliseconds regex_time_limit{200};

Response notice(int status, std::string_view title, std::string_view text) {
  Response response;
  response.status = status;
  response.body = render_notice(title, text);
  return response;
}

Response forged() {
  return notice(403, "This link is not valid",
                "Open the link from your notification again, whole; if it still fails, ask your mail administrator.");
}
Response gone() {
  return notice(410, "This message is no longer held for you",
                "It was released or deleted already, or removed from the quarantine. Nothing more was done.");
}
Response unavailable() {
  Response response = notice(503, "Please try again later",
                             "The quarantine cannot be reached right now. Nothing was changed; your message is safe.");
  response.headers.emplace_back("Retry-After", "60");
  return response;
}
Response bad_request(std::string_view why) { return notice(400, "This request is not valid", why); }

std::string utc_time(std::int64_t unix_time) {
  std::time_t when = static_cast<std::time_t>(unix_time);
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[40];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc));
}

std::string shortened(std::string text) {
  if (text.size() <= max_shown_header) return text;
  std::size_t cut = max_shown_header;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // a character boundary
  return text.substr(0, cut) + "\u2026";
}

std::string header_of(const sdk::StoredEntry& entry, const std::string& name) {
  auto it = entry.headers.find(name);
  return it == entry.headers.end() ? std::string() : shortened(mime::decode_header_value(it->second));
}

// The stored header the quarantine's regex matches, as the milter tested it ("Name: value").
std::string matched_header(const core::Quarantine& quarantine, const sdk::StoredEntry& entry) {
  const auto deadline = std::chrono::steady_clock::now() + regex_time_limit;
  for (const auto& [name, value] : entry.headers) {
    auto found = quarantine.regex.search(name + ": " + value, deadline);
    if (found.ok() && found.value().match) return shortened(name + ": " + mime::decode_header_value(value));
  }
  return {};
}

// Whether the page offers "always accept this sender": the quarantine has a whitelist, and
// the sender is one an entry can name (an empty sender would whitelist everybody).
bool can_whitelist(const core::Quarantine& quarantine, const sdk::StoredEntry& entry) {
  return quarantine.whitelist.plugin_name != "none" && !entry.mailfrom.empty() &&
         !sdk::whitelist_entry_problem(entry.mailfrom);
}

// One line per action, naming what the admin needs to find it again.
void log_action(const Request& request, const sdk::StoredEntry& entry, const std::string& quarantine,
                const std::string& recipient, std::string_view what, sdk::LogLevel level = sdk::LogLevel::info) {
  core::log::write(level, entry.queue_id, "qmilter-web: quarantine '" + quarantine + "', entry '" + entry.id +
                                              "', recipient <" + recipient + ">, client " + request.client + ": " +
                                              std::string(what));
}

}  // namespace

WebService::WebService(std::shared_ptr<const core::Config> config)
    : config_(std::move(config)), post_limiter_(config_.load()->web.post_limit) {}

void WebService::replace_config(std::shared_ptr<const core::Config> config) { config_.store(std::move(config)); }

Response WebService::handle(const Request& request) {
  const bool reading = request.method == "GET" || request.method == "HEAD";
  const bool message_link = request.path.starts_with("/m/"), recipient_link = request.path.starts_with("/u/");
  const char* kind = request.path == "/healthz" ? "healthz"
                     : message_link             ? (reading ? "page" : "action")
                     : recipient_link           ? (reading ? "recipient_page" : "recipient_action")
                                                : "other";
  Response response = answer(request);
  count_request(kind, response.status);
  return response;
}

Response WebService::answer(const Request& request) {
  const bool reading = request.method == "GET" || request.method == "HEAD";
  if (request.path == "/healthz") {
    if (!reading) return notice(405, "Method not allowed", "Use GET.");
    Response ok;
    ok.content_type = "text/plain; charset=utf-8";
    ok.body = "ok\n";
    return ok;
  }
  constexpr std::string_view prefix = "/m/";
  constexpr std::string_view recipient_prefix = "/u/";
  const bool for_recipient = request.path.compare(0, recipient_prefix.size(), recipient_prefix) == 0;
  if (!for_recipient && request.path.compare(0, prefix.size(), prefix) != 0) {
    return notice(404, "Not found", "There is no page here.");
  }
  const std::string token = request.path.substr(prefix.size());
  if (!reading && request.method != "POST") {
    Response refused = notice(405, "Method not allowed", "Use the page's buttons.");
    refused.headers.emplace_back("Allow", "GET, HEAD, POST");
    return refused;
  }
  // Actions are limited before anything is verified: guessing tokens costs tokens too.
  if (!reading && !post_limiter_.allow(request.client)) {
    core::log::warning("", "qmilter-web: too many actions from " + request.client + "; refused for now");
    Response refused = notice(429, "Too many requests", "Please wait a minute and try again.");
    refused.headers.emplace_back("Retry-After", "60");
    return refused;
  }
  if (for_recipient) {
    auto resolved = resolve_recipient(token);
    if (auto* response = std::get_if<Response>(&resolved)) return std::move(*response);
    const RecipientLink& link = std::get<RecipientLink>(resolved);
    return reading ? show_recipient(link) : act_recipient(link, request);
  }
  auto resolved = resolve(token);
  if (auto* response = std::get_if<Response>(&resolved)) return std::move(*response);
  const Link& link = std::get<Link>(resolved);
  return reading ? show(link) : act(link, request);
}

std::variant<WebService::Link, Response> WebService::resolve(const std::string& token) const {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::shared_ptr<const core::Config> config = config_.load();
  links::Verification verified = links::verify_token(*config->web.key, token, now);
  if (!verified.claim) {
    if (verified.problem == links::TokenProblem::expired) {
      count_link_failure("expired");
      return notice(410, "This link has expired",
                    "Links in notifications work for a limited time. Ask your mail administrator if you still need "
                    "the message.");
    }
    count_link_failure("forged");
    return forged();
  }
  Link link{config, token, std::move(*verified.claim), nullptr};
  link.quarantine = config->find(link.claim.quarantine);
  if (!link.quarantine) {
    core::log::warning("", "qmilter-web: a valid link names quarantine '" + link.claim.quarantine +
                               "', which this configuration does not have");
    count_link_failure("unknown_quarantine");
    return notice(404, "Not found", "This link is not served here.");
  }
  return link;
}

std::variant<WebService::RecipientLink, Response> WebService::resolve_recipient(const std::string& rest) const {
  const std::size_t slash = rest.find('/');
  const std::string token = rest.substr(0, slash);
  std::size_t page = 1;
  if (slash != std::string::npos) {
    const std::string number = rest.substr(slash + 1);
    if (number.empty() || number.size() > 6 || number.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(number) == 0) {
      return notice(404, "Not found", "There is no page here.");
    }
    page = std::stoul(number);
  }
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::shared_ptr<const core::Config> config = config_.load();
  links::RecipientVerification verified = links::verify_recipient_token(*config->web.key, token, now);
  if (!verified.claim) {
    if (verified.problem == links::TokenProblem::expired) {
      count_link_failure("expired");
      return notice(410, "This link has expired",
                    "Links in digests work for a limited time; the next digest brings a new one.");
    }
    count_link_failure("forged");
    return forged();
  }
  return RecipientLink{config, token, std::move(*verified.claim), page};
}

std::variant<std::vector<WebService::Held>, Response> WebService::held_for(const core::Config& config,
                                                                           const std::string& recipient) const {
  std::vector<Held> held;
  sdk::EntryFilter filter;
  filter.to = {recipient};
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (const core::Quarantine& quarantine : config.quarantines) {
    if (!quarantine.store.instance->keeps_messages()) continue;
    auto found = quarantine.store.instance->find(filter);
    if (!found.ok()) {
      core::log::error("", "qmilter-web: quarantine '" + quarantine.name + "': " + found.error().message);
      return unavailable();
    }
    for (sdk::StoredEntry& entry : found.value()) {
      // A store that returns too much costs time, never another recipient's mail.
      if (sdk::entry_id_problem(entry.id) || !sdk::entry_matches(filter, entry, now)) continue;
      held.push_back(Held{&quarantine, std::move(entry)});
    }
  }
  std::sort(held.begin(), held.end(), [](const Held& a, const Held& b) {
    if (a.entry.date != b.entry.date) return a.entry.date > b.entry.date;
    if (a.quarantine->index != b.quarantine->index) return a.quarantine->index < b.quarantine->index;
    return a.entry.id > b.entry.id;
  });
  return held;
}

Response WebService::show_recipient(const RecipientLink& link) const {
  auto found = held_for(*link.config, link.claim.recipient);
  if (auto* response = std::get_if<Response>(&found)) return std::move(*response);
  const auto& held = std::get<std::vector<Held>>(found);
  RecipientPage page;
  page.recipient = link.claim.recipient;
  page.total = held.size();
  page.pages = std::max<std::size_t>(1, (held.size() + rows_per_page - 1) / rows_per_page);
  if (link.page > page.pages) return notice(404, "Not found", "There is no such page of your list.");
  page.page = link.page;
  page.base_path = "/u/" + link.token;
  page.csrf = links::csrf_value(*link.config->web.key, link.token);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (std::size_t i = (page.page - 1) * rows_per_page; i < held.size() && i < page.page * rows_per_page; ++i) {
    const Held& h = held[i];
    HeldRow row;
    row.quarantine = h.quarantine->name;
    row.id = h.entry.id;
    row.date = utc_time(h.entry.date);
    row.from = header_of(h.entry, "from");
    if (row.from.empty()) row.from = mime::repair_utf8(h.entry.mailfrom);
    row.subject = header_of(h.entry, "subject");
    // The message's own page, on this host (the recipient's link is as good as its links).
    auto token = links::issue_token(*link.config->web.key,
                                    links::LinkClaim{row.quarantine, row.id, link.claim.recipient,
                                                     std::min(link.claim.expires, now + link.config->web.link_days * 86400)});
    if (token.ok()) row.link = "/m/" + token.value();
    page.rows.push_back(std::move(row));
  }
  Response response;
  response.body = render_recipient_page(page);
  return response;
}

Response WebService::act_recipient(const RecipientLink& link, const Request& request) {
  const bool urlencoded = request.content_type.rfind("application/x-www-form-urlencoded", 0) == 0;
  auto form = urlencoded ? http::parse_form(request.body) : std::nullopt;
  if (!form) return bad_request("The form could not be read.");
  auto csrf = form->find("csrf");
  if (csrf == form->end() || !links::csrf_matches(*link.config->web.key, link.token, csrf->second)) {
    return notice(403, "This form is not valid", "Open the link from your digest again and use its buttons.");
  }
  auto action = form->find("action");
  if (action == form->end()) return bad_request("No action was chosen.");
  const std::string& what = action->second;
  if (what == "release_all" || what == "delete_all") return act_on_all(link, request, what);
  if (what != "release" && what != "delete") return bad_request("Unknown action.");
  auto quarantine_field = form->find("quarantine");
  auto id_field = form->find("id");
  if (quarantine_field == form->end() || id_field == form->end()) return bad_request("No message was chosen.");
  const core::Quarantine* quarantine = link.config->find(quarantine_field->second);
  if (!quarantine) return gone();
  const std::string& recipient = link.claim.recipient;

  std::lock_guard lock(action_mutex_);
  auto entry = admin::load_entry(*quarantine, id_field->second);
  if (!entry.ok() && !entry.error().not_found()) {
    // An id that is no id at all is the visitor's mistake, not the store's.
    if (sdk::entry_id_problem(id_field->second)) return gone();
    core::log::error("", "qmilter-web: " + entry.error().message);
    return unavailable();
  }
  const auto& recipients = entry.ok() ? entry.value().recipients : std::vector<std::string>{};
  if (std::find(recipients.begin(), recipients.end(), recipient) == recipients.end()) return gone();
  return what == "release" ? release(*quarantine, recipient, request, entry.value())
                           : remove(*quarantine, recipient, request, entry.value());
}

Response WebService::act_on_all(const RecipientLink& link, const Request& request, const std::string& action) {
  const bool releasing = action == "release_all";
  const std::string& recipient = link.claim.recipient;
  auto form = http::parse_form(request.body);
  auto confirm = form->find("confirm");
  if (confirm == form->end() || confirm->second != "yes") {
    auto found = held_for(*link.config, recipient);
    if (auto* response = std::get_if<Response>(&found)) return std::move(*response);
    const std::size_t count = std::get<std::vector<Held>>(found).size();
    if (count == 0) return notice(200, "Nothing is held for you", "There is nothing left to release or delete.");
    Response response;
    response.body = render_confirm_page(
        releasing ? "Release all messages?" : "Delete all messages?",
        std::to_string(count) + " message(s) to " + recipient + (releasing ? " will be delivered to your inbox."
                                                                           : " will be deleted and never delivered."),
        links::csrf_value(*link.config->web.key, link.token), action,
        releasing ? "Yes, release all" : "Yes, delete all");
    return response;
  }

  // One action at a time, on the entries as they are now: a second confirmation finds none.
  std::lock_guard lock(action_mutex_);
  auto found = held_for(*link.config, recipient);
  if (auto* response = std::get_if<Response>(&found)) return std::move(*response);
  std::size_t done = 0;
  std::size_t failed = 0;
  for (const Held& held : std::get<std::vector<Held>>(found)) {
    const Response one = releasing ? release(*held.quarantine, recipient, request, held.entry)
                                   : remove(*held.quarantine, recipient, request, held.entry);
    if (one.status == 200) {
      ++done;
    } else if (one.status != 410) {
      ++failed;
    }
  }
  if (failed > 0) {
    Response response = notice(503, "Please try again later",
                               std::to_string(done) + " message(s) were " + (releasing ? "released" : "deleted") + "; " +
                                   std::to_string(failed) + " could not be reached right now and are still held.");
    response.headers.emplace_back("Retry-After", "60");
    return response;
  }
  if (done == 0) return notice(200, "Nothing is held for you", "There is nothing left to release or delete.");
  return notice(200, releasing ? "Released all" : "Deleted all",
                std::to_string(done) + " message(s) " +
                    (releasing ? "were delivered to " + recipient + ". They may take a minute to arrive."
                               : "were deleted. They will not be delivered."));
}

Response WebService::show(const Link& link) const {
  const core::Quarantine& quarantine = *link.quarantine;
  auto entry = admin::load_entry(quarantine, link.claim.id);
  if (!entry.ok()) {
    if (entry.error().not_found()) return gone();
    core::log::error("", "qmilter-web: " + entry.error().message);
    return unavailable();
  }
  const sdk::StoredEntry& held = entry.value();
  const auto& recipients = held.recipients;
  if (std::find(recipients.begin(), recipients.end(), link.claim.recipient) == recipients.end()) return gone();

  std::optional<CachedPreview> preview = previews_.find(quarantine.name, held.id);
  if (!preview) {
    std::string raw;
    sdk::Status read = quarantine.store.instance->read(held.id, [&raw](std::string_view chunk) {
      raw.append(chunk.substr(0, max_message_read - raw.size()));
      return raw.size() < max_message_read;
    });
    if (!read.ok()) {
      if (read.error().not_found()) return gone();
      core::log::error(held.queue_id, "qmilter-web: quarantine '" + quarantine.name + "': " + read.error().message);
      return unavailable();
    }
    html::SanitizeOptions images_removed;
    images_removed.replace_images = false;
    images_removed.strip_images = true;
    mime::Preview made = mime::make_preview(raw, images_removed, max_preview_bytes);
    std::string attachments = mime::attachments_html(made.attachments);
    // Parts past what was read are unknown: say so rather than show a short list as whole.
    if (raw.size() >= max_message_read)
      attachments += "<p><i>Only the first " + std::to_string(max_message_read >> 20) +
                     " MiB of the message were read: attachments after them are not listed.</i></p>";
    preview = CachedPreview{std::move(made.html), std::move(attachments)};
    previews_.put(quarantine.name, held.id, *preview);
  }

  MessagePage page;
  page.quarantine = quarantine.name;
  page.recipient = link.claim.recipient;
  page.sender = mime::repair_utf8(held.mailfrom);
  page.from = header_of(held, "from");
  page.subject = header_of(held, "subject");
  page.date = header_of(held, "date");
  if (page.date.empty()) page.date = utc_time(held.date);
  page.matched = matched_header(quarantine, held);
  page.preview_html = std::move(preview->html);
  page.attachments_html = std::move(preview->attachments_html);
  page.csrf = links::csrf_value(*link.config->web.key, link.token);
  page.can_whitelist = can_whitelist(quarantine, held);
  Response response;
  response.body = render_message_page(page);
  return response;
}

Response WebService::act(const Link& link, const Request& request) {
  // The page's forms send exactly this; anything else is not one of them.
  const bool urlencoded = request.content_type.rfind("application/x-www-form-urlencoded", 0) == 0;
  auto form = urlencoded ? http::parse_form(request.body) : std::nullopt;
  if (!form) return bad_request("The form could not be read.");
  auto csrf = form->find("csrf");
  if (csrf == form->end() || !links::csrf_matches(*link.config->web.key, link.token, csrf->second)) {
    return notice(403, "This form is not valid", "Open the link from your notification again and use its buttons.");
  }
  auto action = form->find("action");
  if (action == form->end()) return bad_request("No action was chosen.");
  if (action->second != "release" && action->second != "delete" && action->second != "whitelist") {
    return bad_request("Unknown action.");
  }

  // One action at a time, on the entry as it is now: a second click finds the recipient gone.
  std::lock_guard lock(action_mutex_);
  auto entry = admin::load_entry(*link.quarantine, link.claim.id);
  if (!entry.ok() && !entry.error().not_found()) {
    core::log::error("", "qmilter-web: " + entry.error().message);
    return unavailable();
  }
  const bool held = entry.ok() && std::find(entry.value().recipients.begin(), entry.value().recipients.end(),
                                            link.claim.recipient) != entry.value().recipients.end();
  if (!held) {
    core::log::info("", "qmilter-web: quarantine '" + link.quarantine->name + "', entry '" + link.claim.id +
                            "', recipient <" + link.claim.recipient + ">, client " + request.client + ": " +
                            action->second + " asked, but it is not held any more: nothing done");
    count_action(action->second, 410);
    return gone();
  }
  Response response = action->second == "release"
                          ? release(*link.quarantine, link.claim.recipient, request, entry.value())
                      : action->second == "delete" ? remove(*link.quarantine, link.claim.recipient, request, entry.value())
                                                   : whitelist_and_release(link, request, entry.value());
  count_action(action->second, response.status);
  return response;
}

Response WebService::release(const core::Quarantine& quarantine, const std::string& recipient, const Request& request,
                             const sdk::StoredEntry& entry) {
  std::vector<std::string> left = entry.recipients;
  admin::ReleaseOutcome outcome = admin::release_to(quarantine, entry, recipient, left);
  if (!outcome.claimed.ok()) {
    // Another admin (qmilterctl, another host's qmilter-web) is releasing it or just did.
    if (outcome.claimed.error().not_found()) {
      log_action(request, entry, quarantine.name, recipient,
                 "release asked, but it is not held any more: " + outcome.claimed.error().message);
      return gone();
    }
    core::log::error(entry.queue_id, "qmilter-web: quarantine '" + quarantine.name + "': " +
                                         outcome.claimed.error().message);
    return unavailable();
  }
  if (!outcome.delivered) {
    log_action(request, entry, quarantine.name, recipient,
               "release failed through " + outcome.relay + ": " + outcome.reply + "; the entry is kept",
               sdk::LogLevel::warning);
    if (!outcome.abandoned.ok()) {
      core::log::error(entry.queue_id, "qmilter-web: <" + recipient + "> of '" + entry.id + "' stays claimed for up to " +
                                           std::to_string(sdk::claim_lifetime_seconds) +
                                           " s: " + outcome.abandoned.error().message);
    }
    return unavailable();
  }
  if (!outcome.removed.ok()) {
    core::log::error(entry.queue_id, "qmilter-web: released '" + entry.id + "' to <" + recipient +
                                         "> but could not take the recipient off the entry: " +
                                         outcome.removed.error().message);
  }
  log_action(request, entry, quarantine.name, recipient, "released through " + outcome.relay);
  return notice(200, "Released", "The message was delivered to " + recipient + ". It may take a minute to arrive.");
}

Response WebService::remove(const core::Quarantine& quarantine, const std::string& recipient, const Request& request,
                            const sdk::StoredEntry& entry) {
  std::vector<std::string> left = entry.recipients;
  sdk::Status removed = admin::take_recipient(quarantine, entry.id, recipient, left);
  if (!removed.ok()) {
    if (removed.error().not_found()) return gone();
    core::log::error(entry.queue_id, "qmilter-web: quarantine '" + quarantine.name + "': " + removed.error().message);
    return unavailable();
  }
  log_action(request, entry, quarantine.name, recipient, "deleted");
  return notice(200, "Deleted", "The message was deleted. It will not be delivered.");
}

Response WebService::whitelist_and_release(const Link& link, const Request& request, const sdk::StoredEntry& entry) {
  const core::Quarantine& quarantine = *link.quarantine;
  if (!can_whitelist(quarantine, entry)) return bad_request("This sender cannot be whitelisted here.");
  sdk::Whitelist& whitelist = *quarantine.whitelist.instance;
  const std::string& recipient = link.claim.recipient;
  auto covering = whitelist.covering(entry.mailfrom, recipient);
  if (!covering.ok()) {
    core::log::error(entry.queue_id, "qmilter-web: whitelist of quarantine '" + quarantine.name + "': " +
                                         covering.error().message);
    return unavailable();
  }
  const bool listed = std::any_of(covering.value().begin(), covering.value().end(), [&](const sdk::WhitelistEntry& e) {
    return e.mailfrom == entry.mailfrom && e.recipient == recipient;
  });
  if (!listed) {
    sdk::WhitelistEntry added;
    added.mailfrom = entry.mailfrom;
    added.recipient = recipient;
    added.comment = "added by the recipient on qmilter-web";
    auto id = whitelist.add(added);
    if (!id.ok()) {
      core::log::error(entry.queue_id, "qmilter-web: whitelist of quarantine '" + quarantine.name + "': " +
                                           id.error().message);
      return unavailable();
    }
    log_action(request, entry, quarantine.name, recipient,
               "whitelisted <" + entry.mailfrom + "> as entry " + std::to_string(id.value()));
  }
  Response released = release(quarantine, recipient, request, entry);
  if (released.status != 200) return released;
  return notice(200, "Released, and the sender is accepted from now on",
                "The message was delivered to " + recipient + ", and mail from " + entry.mailfrom +
                    " to you will no longer be held by this quarantine.");
}

}  // namespace qmilter::web
