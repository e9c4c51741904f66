#include "core/links/link_token.hpp"

#include <gtest/gtest.h>

#include "core/links/base64url.hpp"

namespace qmilter::links {
namespace {

const std::string key(32, 'k');
const LinkClaim claim{"spam", "20261202100000_ABC", "alice@example.com", 2'000'000'000};

std::string token() {
  auto made = issue_token(key, claim);
  EXPECT_TRUE(made.ok());
  return made.value();
}

TEST(LinkToken, VerifiesWhatItIssued) {
  Verification verified = verify_token(key, token(), claim.expires);
  ASSERT_TRUE(verified.claim);
  EXPECT_EQ(verified.claim->quarantine, "spam");
  EXPECT_EQ(verified.claim->id, claim.id);
  EXPECT_EQ(verified.claim->recipient, claim.recipient);
  EXPECT_EQ(verified.claim->expires, claim.expires);
}

TEST(LinkToken, ExpiresAfterItsTime) {
  Verification verified = verify_token(key, token(), claim.expires + 1);
  EXPECT_FALSE(verified.claim);
  EXPECT_EQ(verified.problem, TokenProblem::expired);
}

TEST(LinkToken, EveryChangedByteIsForged) {
  const std::string bytes = *base64url_decode(token());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    Verification verified = verify_token(key, base64url_encode(changed), 0);
    EXPECT_FALSE(verified.claim) << "byte " << i;
    EXPECT_EQ(verified.problem, TokenProblem::forged) << "byte " << i;
  }
}

TEST(LinkToken, TruncatedExtendedOrOtherKeyIsForged) {
  const std::string good = token();
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(verify_token(key, good.substr(0, size), 0).claim) << size;
  }
  EXPECT_FALSE(verify_token(key, good + "AAAA", 0).claim);
  EXPECT_FALSE(verify_token(std::string(32, 'x'), good, 0).claim);
  EXPECT_FALSE(verify_token(key, std::string(100000, 'A'), 0).claim);
}

TEST(LinkToken, FieldsMustFitALink) {
  LinkClaim empty = claim;
  empty.recipient.clear();
  EXPECT_FALSE(issue_token(key, empty).ok());
  LinkClaim longest = claim;
  longest.id = std::string(255, 'i');
  longest.recipient = std::string(255, 'r');
  longest.quarantine = std::string(255, 'q');
  auto made = issue_token(key, longest);
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(verify_token(key, made.value(), 0).claim);
  longest.id += "i";
  EXPECT_FALSE(issue_token(key, longest).ok());
}

TEST(LinkToken, CsrfIsBoundToItsToken) {
  const std::string one = token();
  LinkClaim other_claim = claim;
  other_claim.recipient = "bob@example.com";
  const std::string other = issue_token(key, other_claim).value();
  const std::string csrf = csrf_value(key, one);
  EXPECT_TRUE(csrf_matches(key, one, csrf));
  EXPECT_FALSE(csrf_matches(key, other, csrf));
  EXPECT_FALSE(csrf_matches(key, one, ""));
  EXPECT_FALSE(csrf_matches(key, one, csrf.substr(1)));
  EXPECT_FALSE(csrf_matches(std::string(32, 'x'), one, csrf));
  // The CSRF value is never a valid token, nor the token a CSRF value (separate labels).
  EXPECT_FALSE(csrf_matches(key, one, one));
  EXPECT_FALSE(verify_token(key, csrf, 0).claim);
}

}  // namespace
}  // namespace qmilter::links
