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

TEST(RecipientToken, VerifiesWhatItIssuedAndExpires) {
  auto made = issue_recipient_token(key, RecipientClaim{"alice@example.com", 2'000'000'000});
  ASSERT_TRUE(made.ok());
  RecipientVerification verified = verify_recipient_token(key, made.value(), 2'000'000'000);
  ASSERT_TRUE(verified.claim);
  EXPECT_EQ(verified.claim->recipient, "alice@example.com");
  EXPECT_EQ(verified.claim->expires, 2'000'000'000);
  RecipientVerification late = verify_recipient_token(key, made.value(), 2'000'000'001);
  EXPECT_FALSE(late.claim);
  EXPECT_EQ(late.problem, TokenProblem::expired);
}

TEST(RecipientToken, EveryChangedByteOrOtherKeyIsForged) {
  auto made = issue_recipient_token(key, RecipientClaim{"alice@example.com", 2'000'000'000});
  ASSERT_TRUE(made.ok());
  const std::string bytes = *base64url_decode(made.value());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    EXPECT_FALSE(verify_recipient_token(key, base64url_encode(changed), 0).claim) << "byte " << i;
  }
  EXPECT_FALSE(verify_recipient_token(std::string(32, 'x'), made.value(), 0).claim);
  EXPECT_FALSE(issue_recipient_token(key, RecipientClaim{"", 1}).ok());
  EXPECT_FALSE(issue_recipient_token(key, RecipientClaim{std::string(256, 'a'), 1}).ok());
}

// A message link never opens a recipient's page and a recipient's link never names a
// message, whatever the bytes: the two kinds are signed under different labels.
TEST(RecipientToken, NeitherKindVerifiesAsTheOther) {
  auto recipient = issue_recipient_token(key, RecipientClaim{"alice@example.com", 2'000'000'000});
  ASSERT_TRUE(recipient.ok());
  EXPECT_FALSE(verify_token(key, recipient.value(), 0).claim);
  EXPECT_FALSE(verify_recipient_token(key, token(), 0).claim);
}

TEST(RecipientToken, CsrfOfARecipientLinkIsNotThatOfAMessageLink) {
  auto recipient = issue_recipient_token(key, RecipientClaim{"alice@example.com", 2'000'000'000});
  ASSERT_TRUE(recipient.ok());
  EXPECT_FALSE(csrf_matches(key, recipient.value(), csrf_value(key, token())));
  EXPECT_TRUE(csrf_matches(key, recipient.value(), csrf_value(key, recipient.value())));
}

}  // namespace
}  // namespace qmilter::links
