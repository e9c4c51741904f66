// The host's sdk::ReleaseLinks: one per quarantine, handed to its notification plugin, and
// used by `qmilterctl quarantine NAME link`. Immutable; safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "qmilter/sdk/release_links.hpp"

namespace qmilter::links {

// A link's address: <base_url>/m/<token>.
inline constexpr std::string_view link_path = "/m/";
// A recipient's page (everything held for them, linked from their digest): <base_url>/u/<token>.
inline constexpr std::string_view recipient_path = "/u/";

// The link to `recipient`'s page, valid `days` from `now` (Unix time).
sdk::Result<std::string> recipient_page_url(std::string_view key, std::string_view base_url,
                                            std::string_view recipient, std::int64_t days, std::int64_t now);

class LinkIssuer final : public sdk::ReleaseLinks {
 public:
  // base_url without a trailing '/'; days > 0.
  LinkIssuer(std::shared_ptr<const std::string> key, std::string base_url, std::string quarantine, std::int64_t days);

  sdk::Result<std::string> url(std::string_view id, std::string_view recipient) const noexcept override;
  // The same with another lifetime, counted from `now` (Unix time).
  sdk::Result<std::string> url(std::string_view id, std::string_view recipient, std::int64_t days,
                               std::int64_t now) const;

 private:
  std::shared_ptr<const std::string> key_;
  std::string base_url_;
  std::string quarantine_;
  std::int64_t days_;
};

}  // namespace qmilter::links
