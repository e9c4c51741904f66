// What qmilter-web answers: GET /m/<token> shows the recipient their quarantined message,
// POST /m/<token> releases, deletes or whitelists it for that recipient alone; GET
// /u/<token>[/<page>] (a recipient's link, from their digest) lists everything held for
// them in every quarantine, 50 to a page, and POST there releases or deletes one entry, or
// all of them after a confirmation step (idempotent: what is no longer held is left alone);
// GET /healthz says the service runs. A GET never changes anything (link scanners fetch every link).
//
// Status codes say only what the visitor may know: 403 a link or form that does not verify,
// 404 an unknown path or a quarantine this host does not serve, 410 an expired link or a
// message no longer held for that recipient, 429 too many actions, 503 the store, whitelist
// or relay is down (nothing is changed, the message stays). Details go to the log.
//
// Thread-safe: the server calls handle() from a thread per connection. Actions run one at a
// time, each re-reading the entry first, so two clicks on Release deliver once. A new
// configuration (SIGHUP) serves the requests that start after it; one that started before
// finishes on the old one, which lives as long as such a request.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "core/config/config.hpp"
#include "core/http/http_exchange.hpp"
#include "core/web/preview_cache.hpp"
#include "core/web/rate_limiter.hpp"

namespace qmilter::web {

using http::Request;
using http::Response;

class WebService {
 public:
  // The configuration must hold the web secret (web_secret_file).
  explicit WebService(std::shared_ptr<const core::Config> config);

  Response handle(const Request& request);  // and counts it (web_metrics.hpp)

  // A reloaded configuration, with the web secret (web_post_limit keeps its first value).
  void replace_config(std::shared_ptr<const core::Config> config);

 private:
  struct Link;  // a verified token and what it names
  Response answer(const Request& request);
  struct RecipientLink;  // a verified recipient's token and the page asked for
  struct Held;           // one entry held for a recipient, and its quarantine
  std::variant<Link, Response> resolve(const std::string& token) const;
  std::variant<RecipientLink, Response> resolve_recipient(const std::string& rest) const;
  std::variant<std::vector<Held>, Response> held_for(const core::Config& config, const std::string& recipient) const;
  Response show_recipient(const RecipientLink& link) const;
  Response act_recipient(const RecipientLink& link, const Request& request);
  Response act_on_all(const RecipientLink& link, const Request& request, const std::string& action);
  Response show(const Link& link) const;
  Response act(const Link& link, const Request& request);
  Response release(const core::Quarantine& quarantine, const std::string& recipient, const Request& request,
                   const sdk::StoredEntry& entry);
  Response remove(const core::Quarantine& quarantine, const std::string& recipient, const Request& request,
                  const sdk::StoredEntry& entry);
  Response whitelist_and_release(const Link& link, const Request& request, const sdk::StoredEntry& entry);

  std::atomic<std::shared_ptr<const core::Config>> config_;
  RateLimiter post_limiter_;
  mutable PreviewCache previews_{256, 32 * 1024 * 1024};  // up to 256 previews, 32 MiB
  std::mutex action_mutex_;
};

}  // namespace qmilter::web
