#include "core/links/link_issuer.hpp"

#include <ctime>
#include <exception>

#include "core/links/link_token.hpp"

namespace qmilter::links {

LinkIssuer::LinkIssuer(std::shared_ptr<const std::string> key, std::string base_url, std::string quarantine,
                       std::int64_t days)
    : key_(std::move(key)), base_url_(std::move(base_url)), quarantine_(std::move(quarantine)), days_(days) {}

sdk::Result<std::string> LinkIssuer::url(std::string_view id, std::string_view recipient) const noexcept {
  try {
    return url(id, recipient, days_, static_cast<std::int64_t>(std::time(nullptr)));
  } catch (const std::exception& e) {
    return sdk::Error{std::string("cannot make a link: ") + e.what()};
  }
}

sdk::Result<std::string> LinkIssuer::url(std::string_view id, std::string_view recipient, std::int64_t days,
                                         std::int64_t now) const {
  LinkClaim claim{quarantine_, std::string(id), std::string(recipient), now + days * 86400};
  auto token = issue_token(*key_, claim);
  if (!token.ok()) return token.error();
  return base_url_ + std::string(link_path) + token.value();
}

sdk::Result<std::string> recipient_page_url(std::string_view key, std::string_view base_url,
                                            std::string_view recipient, std::int64_t days, std::int64_t now) {
  auto token = issue_recipient_token(key, RecipientClaim{std::string(recipient), now + days * 86400});
  if (!token.ok()) return token.error();
  return std::string(base_url) + std::string(recipient_path) + token.value();
}

}  // namespace qmilter::links
