#include "core/links/link_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <optional>

#include "core/links/base64url.hpp"

namespace qmilter::links {
namespace {

constexpr unsigned char token_version = 1;
constexpr unsigned char recipient_token_version = 2;
constexpr std::size_t mac_size = 32;
constexpr std::size_t max_field = 255;
// Domain separation: one key signs two kinds of value, which must never stand for each other.
constexpr std::string_view link_label = "qmilter-web link\n";
constexpr std::string_view csrf_label = "qmilter-web csrf\n";
constexpr std::string_view recipient_label = "qmilter-web recipient link\n";

std::array<unsigned char, mac_size> mac(std::string_view key, std::string_view label, std::string_view data) {
  std::string message;
  message.reserve(label.size() + data.size());
  message.append(label).append(data);
  std::array<unsigned char, mac_size> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out.data(), &size);
  return out;
}

bool same(const unsigned char* a, const unsigned char* b, std::size_t size) { return CRYPTO_memcmp(a, b, size) == 0; }

// Reads one length-prefixed field at `at`; false when the bytes end first.
bool read_field(std::string_view bytes, std::size_t& at, std::string& field) {
  if (at >= bytes.size()) return false;
  const std::size_t size = static_cast<unsigned char>(bytes[at++]);
  if (size == 0 || bytes.size() - at < size) return false;
  field.assign(bytes.substr(at, size));
  at += size;
  return true;
}

std::string with_expiry(unsigned char version, std::int64_t expires) {
  std::string payload(1, static_cast<char>(version));
  const auto value = static_cast<std::uint64_t>(expires);
  for (int shift = 56; shift >= 0; shift -= 8) payload += static_cast<char>((value >> shift) & 0xFF);
  return payload;
}

std::string signed_token(std::string_view key, std::string_view label, std::string payload) {
  const auto signature = mac(key, label, payload);
  payload.append(reinterpret_cast<const char*>(signature.data()), signature.size());
  return base64url_encode(payload);
}

// The payload of a token that verifies under `label` and carries `version`, else nothing.
// The MAC is checked (constant time) before any field is read.
std::optional<std::string> verified_payload(std::string_view key, std::string_view label, unsigned char version,
                                            std::string_view token, std::size_t max_bytes, std::size_t min_bytes) {
  if (token.size() > (max_bytes * 4 + 2) / 3) return std::nullopt;
  std::optional<std::string> decoded = base64url_decode(token);
  if (!decoded || decoded->size() < min_bytes) return std::nullopt;
  const std::string_view bytes(*decoded);
  const std::string_view payload = bytes.substr(0, bytes.size() - mac_size);
  const auto expected = mac(key, label, payload);
  if (!same(expected.data(), reinterpret_cast<const unsigned char*>(bytes.data() + payload.size()), mac_size)) {
    return std::nullopt;
  }
  // Signed by us, so well-formed unless a future version made it: read it strictly anyway.
  if (static_cast<unsigned char>(payload[0]) != version) return std::nullopt;
  return std::string(payload);
}

std::int64_t expiry_of(std::string_view payload) {
  std::uint64_t expires = 0;
  for (std::size_t i = 1; i <= 8; ++i) expires = (expires << 8) | static_cast<unsigned char>(payload[i]);
  return static_cast<std::int64_t>(expires);
}

}  // namespace

sdk::Result<std::string> issue_token(std::string_view key, const LinkClaim& claim) {
  std::string payload = with_expiry(token_version, claim.expires);
  for (const auto& [name, value] : {std::pair{"quarantine name", &claim.quarantine},
                                    std::pair{"quarantine id", &claim.id}, std::pair{"recipient", &claim.recipient}}) {
    if (value->empty() || value->size() > max_field) {
      return sdk::Error{std::string("cannot make a link: the ") + name + " must be 1 to 255 bytes, not " +
                        std::to_string(value->size())};
    }
    payload += static_cast<char>(value->size());
    payload += *value;
  }
  return signed_token(key, link_label, std::move(payload));
}

Verification verify_token(std::string_view key, std::string_view token, std::int64_t now) {
  Verification result;
  // The longest token: version, expiry, three fields of 255 bytes with their lengths, MAC.
  constexpr std::size_t max_bytes = 1 + 8 + 3 * (1 + max_field) + mac_size;
  const auto payload = verified_payload(key, link_label, token_version, token, max_bytes, 1 + 8 + 3 * 2 + mac_size);
  if (!payload) return result;
  LinkClaim claim;
  claim.expires = expiry_of(*payload);
  std::size_t at = 9;
  if (!read_field(*payload, at, claim.quarantine) || !read_field(*payload, at, claim.id) ||
      !read_field(*payload, at, claim.recipient) || at != payload->size()) {
    return result;
  }
  if (now > claim.expires) {
    result.problem = TokenProblem::expired;
    return result;
  }
  result.claim = std::move(claim);
  return result;
}

sdk::Result<std::string> issue_recipient_token(std::string_view key, const RecipientClaim& claim) {
  if (claim.recipient.empty() || claim.recipient.size() > max_field) {
    return sdk::Error{"cannot make a link: the recipient must be 1 to 255 bytes, not " +
                      std::to_string(claim.recipient.size())};
  }
  std::string payload = with_expiry(recipient_token_version, claim.expires);
  payload += static_cast<char>(claim.recipient.size());
  payload += claim.recipient;
  return signed_token(key, recipient_label, std::move(payload));
}

RecipientVerification verify_recipient_token(std::string_view key, std::string_view token, std::int64_t now) {
  RecipientVerification result;
  constexpr std::size_t max_bytes = 1 + 8 + 1 + max_field + mac_size;
  const auto payload =
      verified_payload(key, recipient_label, recipient_token_version, token, max_bytes, 1 + 8 + 2 + mac_size);
  if (!payload) return result;
  RecipientClaim claim;
  claim.expires = expiry_of(*payload);
  std::size_t at = 9;
  if (!read_field(*payload, at, claim.recipient) || at != payload->size()) return result;
  if (now > claim.expires) {
    result.problem = TokenProblem::expired;
    return result;
  }
  result.claim = std::move(claim);
  return result;
}

std::string csrf_value(std::string_view key, std::string_view token) {
  const auto value = mac(key, csrf_label, token);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
}

bool csrf_matches(std::string_view key, std::string_view token, std::string_view given) {
  const std::string expected = csrf_value(key, token);
  if (given.size() != expected.size()) return false;
  return same(reinterpret_cast<const unsigned char*>(expected.data()), reinterpret_cast<const unsigned char*>(given.data()),
              expected.size());
}

}  // namespace qmilter::links
