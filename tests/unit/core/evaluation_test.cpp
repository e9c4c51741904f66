// Precedence, whitelists, mixed recipients, and headers a regex cannot decide.
#include <gtest/gtest.h>

#include "core/rules/evaluation.hpp"

namespace qmilter::core {
namespace {

// A whitelist holding fixed (sender, recipient) pairs; counts its lookups.
class ListWhitelist final : public sdk::Whitelist {
 public:
  std::set<std::pair<std::string, std::string>> pairs;
  bool fail = false;
  int lookups = 0;

  sdk::Result<std::set<std::string>> whitelisted(std::string_view sender,
                                                 const std::vector<std::string>& recipients) noexcept override {
    ++lookups;
    if (fail) return sdk::Error{"database unreachable"};
    std::set<std::string> out;
    for (const auto& r : recipients) {
      if (pairs.count({std::string(sender), r})) out.insert(r);
    }
    return out;
  }
  sdk::Result<std::vector<sdk::WhitelistEntry>> list(const sdk::WhitelistFilter&) const noexcept override { return sdk::Error{"-"}; }
  sdk::Result<std::vector<sdk::WhitelistEntry>> covering(std::string_view, std::string_view) const noexcept override { return sdk::Error{"-"}; }
  sdk::Result<std::int64_t> add(const sdk::WhitelistEntry&) noexcept override { return sdk::Error{"-"}; }
  sdk::Status remove(std::int64_t) noexcept override { return sdk::Error{"-"}; }
  sdk::Result<std::int64_t> purge() noexcept override { return sdk::Error{"-"}; }
};

class EvaluationTest : public ::testing::Test {
 protected:
  void add_rule(const std::string& name, const std::string& pattern,
                RegexFailureAction on_failure = RegexFailureAction::tempfail, RegexLimits limits = {}) {
    names_.push_back(std::make_unique<std::string>(name));
    regexes_.push_back(std::make_unique<Regex>(pattern, limits));
    whitelists_.push_back(std::make_unique<ListWhitelist>());
    rules_.push_back(
        Rule{rules_.size(), names_.back().get(), regexes_.back().get(), whitelists_.back().get(), on_failure});
  }
  sdk::Result<Evaluation> run(const std::vector<std::string>& subjects, const std::vector<std::string>& recipients,
                              std::chrono::milliseconds regex_time_limit = std::chrono::seconds(10)) {
    return evaluate(rules_, subjects, "sender@example.org", recipients, regex_time_limit);
  }

  std::vector<std::unique_ptr<std::string>> names_;
  std::vector<std::unique_ptr<Regex>> regexes_;
  std::vector<std::unique_ptr<ListWhitelist>> whitelists_;
  std::vector<Rule> rules_;
};

TEST_F(EvaluationTest, CleanMailAssignsNobody) {
  add_rule("spam", "^X-Spam-Flag: YES");
  auto result = run({"Subject: hi", "X-Spam-Flag: NO"}, {"a@x", "b@x"});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.value().assigned.empty());
  EXPECT_EQ(result.value().unassigned, (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(whitelists_[0]->lookups, 0);  // no match, no database round trip
}

TEST_F(EvaluationTest, HigherPrecedenceQuarantineTakesEveryRecipient) {
  add_rule("virus", "^X-Virus: yes");
  add_rule("spam", "^X-Spam-Flag: YES");
  auto result = run({"X-Spam-Flag: YES", "X-Virus: yes"}, {"a@x", "b@x"});
  ASSERT_EQ(result.value().assigned.size(), 1u);
  EXPECT_EQ(result.value().assigned[0].quarantine, 0u);
  EXPECT_EQ(result.value().assigned[0].recipients, (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(result.value().assigned[0].match.subject, "X-Virus: yes");
  EXPECT_EQ(whitelists_[1]->lookups, 0);  // everybody settled before spam was asked
}

TEST_F(EvaluationTest, WhitelistedRecipientsFallToTheNextQuarantine) {
  add_rule("virus", "^X-Virus: yes");
  add_rule("spam", "^X-Spam-Flag: YES");
  whitelists_[0]->pairs.insert({"sender@example.org", "a@x"});
  auto result = run({"X-Virus: yes", "X-Spam-Flag: YES"}, {"a@x", "b@x"});
  ASSERT_EQ(result.value().assigned.size(), 2u);
  EXPECT_EQ(result.value().assigned[0].recipients, (std::vector<std::string>{"b@x"}));
  EXPECT_EQ(result.value().assigned[1].quarantine, 1u);
  EXPECT_EQ(result.value().assigned[1].recipients, (std::vector<std::string>{"a@x"}));
  EXPECT_TRUE(result.value().unassigned.empty());
}

TEST_F(EvaluationTest, RecipientWhitelistedEverywhereStaysUnassigned) {
  add_rule("spam", "^X-Spam-Flag: YES");
  whitelists_[0]->pairs.insert({"sender@example.org", "b@x"});
  auto result = run({"X-Spam-Flag: YES"}, {"a@x", "b@x"});
  ASSERT_EQ(result.value().assigned.size(), 1u);
  EXPECT_EQ(result.value().assigned[0].recipients, (std::vector<std::string>{"a@x"}));
  EXPECT_EQ(result.value().unassigned, (std::vector<std::string>{"b@x"}));
  EXPECT_EQ(whitelists_[0]->lookups, 1);  // one round trip for all recipients
}

TEST_F(EvaluationTest, FullyWhitelistedQuarantineIsNotAssigned) {
  add_rule("spam", "^X-Spam-Flag: YES");
  whitelists_[0]->pairs.insert({"sender@example.org", "a@x"});
  auto result = run({"X-Spam-Flag: YES"}, {"a@x"});
  EXPECT_TRUE(result.value().assigned.empty());
}

TEST_F(EvaluationTest, FirstMatchingHeaderGivesTheGroups) {
  add_rule("spam", "^X-Spam-Score: (\\d+)");
  auto result = run({"X-Spam-Score: 7", "X-Spam-Score: 9"}, {"a@x"});
  EXPECT_EQ(result.value().assigned[0].match.groups[0], "7");
}

TEST_F(EvaluationTest, WhitelistFailureIsAnErrorNamingTheQuarantine) {
  add_rule("spam", "^X-Spam-Flag: YES");
  whitelists_[0]->fail = true;
  auto result = run({"X-Spam-Flag: YES"}, {"a@x"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "whitelist of quarantine 'spam' failed: database unreachable");
}


// Beyond both matchers (a back reference past the match limit): never "no match".
constexpr const char* kUndecidable = "^X-Bomb: (a|aa)+\\1b";
const std::string kBomb = "X-Bomb: " + std::string(200, 'a');

TEST_F(EvaluationTest, AnUndecidableHeaderIsAnErrorNamingQuarantineAndHeader) {
  add_rule("bombs", kUndecidable, RegexFailureAction::tempfail, RegexLimits{10'000, 10'000});
  auto result = run({"Subject: hi", kBomb}, {"a@x"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.rfind("quarantine 'bombs': regex on header 'X-Bomb' could not be decided: PCRE2: "
                                         "match limit exceeded",
                                         0),
            0u)
      << result.error().message;
}

TEST_F(EvaluationTest, UnderTheMatchPolicyAnUndecidableHeaderIsTakenAsAMatch) {
  add_rule("bombs", kUndecidable, RegexFailureAction::match, RegexLimits{10'000, 10'000});
  auto result = run({"Subject: hi", kBomb}, {"a@x"});
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result.value().assigned.size(), 1u);
  EXPECT_EQ(result.value().assigned[0].match.subject, kBomb);
  EXPECT_EQ(result.value().assigned[0].recipients, (std::vector<std::string>{"a@x"}));
  ASSERT_EQ(result.value().warnings.size(), 1u);
  EXPECT_NE(result.value().warnings[0].find("'X-Bomb' could not be decided"), std::string::npos);
}

TEST_F(EvaluationTest, ASpentRegexTimeLimitIsAnErrorNotAClean) {
  add_rule("spam", "^X-Spam-Flag: YES");
  auto result = run({"Subject: hi", "X-Spam-Flag: NO"}, {"a@x"}, std::chrono::milliseconds(-1));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("regex time limit (-1 ms) is spent"), std::string::npos)
      << result.error().message;
}

}  // namespace
}  // namespace qmilter::core
