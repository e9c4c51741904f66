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
#include "qmilter/sdk/whitelist_entry.hpp"

namespace qmilter::web {

struct WebService::Link {
  std::shared_ptr<const core::Config> config;  // the generation the request started on
  std::string token;
  links::LinkClaim claim;
  const core::Quarantine* quarantine = nullptr;  // in *config
};

namespace {

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
  const char* kind = request.path == "/healthz"        ? "healthz"
                     : !request.path.starts_with("/m/") ? "other"
                     : reading                          ? "page"
                                                        : "action";
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
  if (request.path.compare(0, prefix.size(), prefix) != 0) return notice(404, "Not found", "There is no page here.");
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

  std::optional<std::string> preview = previews_.find(quarantine.name, held.id);
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
    preview = mime::make_preview(raw, images_removed, max_preview_bytes).html;
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
  page.preview_html = std::move(*preview);
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
  Response response = action->second == "release"  ? release(link, request, entry.value())
                      : action->second == "delete" ? remove(link, request, entry.value())
                                                   : whitelist_and_release(link, request, entry.value());
  count_action(action->second, response.status);
  return response;
}

Response WebService::release(const Link& link, const Request& request, const sdk::StoredEntry& entry) {
  const core::Quarantine& quarantine = *link.quarantine;
  const std::string& recipient = link.claim.recipient;
  std::vector<std::string> left = entry.recipients;
  admin::ReleaseOutcome outcome = admin::release_to(quarantine, entry, recipient, left);
  if (!outcome.delivered) {
    log_action(request, entry, quarantine.name, recipient,
               "release failed through " + outcome.relay + ": " + outcome.reply + "; the entry is kept",
               sdk::LogLevel::warning);
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

Response WebService::remove(const Link& link, const Request& request, const sdk::StoredEntry& entry) {
  const core::Quarantine& quarantine = *link.quarantine;
  std::vector<std::string> left = entry.recipients;
  sdk::Status removed = admin::take_recipient(quarantine, entry.id, link.claim.recipient, left);
  if (!removed.ok()) {
    if (removed.error().not_found()) return gone();
    core::log::error(entry.queue_id, "qmilter-web: quarantine '" + quarantine.name + "': " + removed.error().message);
    return unavailable();
  }
  log_action(request, entry, quarantine.name, link.claim.recipient, "deleted");
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
  Response released = release(link, request, entry);
  if (released.status != 200) return released;
  return notice(200, "Released, and the sender is accepted from now on",
                "The message was delivered to " + recipient + ", and mail from " + entry.mailfrom +
                    " to you will no longer be held by this quarantine.");
}

}  // namespace qmilter::web
