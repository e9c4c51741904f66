// The token of a qmilter-web link (<web_base_url>/m/<token>): which quarantine, which entry,
// the one recipient it is for and until when, signed with HMAC-SHA256 under the web secret.
// No server keeps a table of tokens: any host with the secret verifies any link.
//
// Layout before base64url: version byte 1, expiry (Unix seconds, 8 bytes big-endian), then
// quarantine, id and recipient each as one length byte and that many bytes, then the 32-byte
// MAC of everything before it. The recipient can read the fields (they are theirs); no one
// without the secret can change one.
//
// A recipient's link (<web_base_url>/u/<token>, the digest's page of everything held for
// them) is the same with version byte 2 and only the recipient after the expiry, signed
// under another label: neither kind of token ever verifies as the other.
//
// The CSRF value of a page's forms is a second MAC, of the token, under the same key with
// another label: it is bound to that one token and needs no server state either.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qmilter/sdk/result.hpp"

namespace qmilter::links {

struct LinkClaim {
  std::string quarantine;
  std::string id;
  std::string recipient;
  std::int64_t expires = 0;  // Unix time after which the link no longer works
};

// An Error when a field is empty or longer than 255 bytes (a link carries it whole).
sdk::Result<std::string> issue_token(std::string_view key, const LinkClaim& claim);

// Why a token was not accepted. forged: it does not verify (tampered, truncated, made with
// another secret, not a token at all); expired: it verifies but its time is over.
enum class TokenProblem { forged, expired };

struct Verification {
  std::optional<LinkClaim> claim;  // set when the token verified and has not expired
  TokenProblem problem = TokenProblem::forged;
};

// Checks the MAC (constant time) before reading any field, then the expiry against `now`.
Verification verify_token(std::string_view key, std::string_view token, std::int64_t now);

// A recipient's link: one address, until when.
struct RecipientClaim {
  std::string recipient;
  std::int64_t expires = 0;
};

struct RecipientVerification {
  std::optional<RecipientClaim> claim;  // set when the token verified and has not expired
  TokenProblem problem = TokenProblem::forged;
};

// As issue_token / verify_token, for a recipient's link.
sdk::Result<std::string> issue_recipient_token(std::string_view key, const RecipientClaim& claim);
RecipientVerification verify_recipient_token(std::string_view key, std::string_view token, std::int64_t now);

// The CSRF value for the forms of the page of `token`, and its check (constant time).
std::string csrf_value(std::string_view key, std::string_view token);
bool csrf_matches(std::string_view key, std::string_view token, std::string_view given);

}  // namespace qmilter::links
