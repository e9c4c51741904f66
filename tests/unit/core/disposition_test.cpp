// Which recipients leave the message and what the MTA is told.
#include <gtest/gtest.h>

#include "core/rules/disposition.hpp"

namespace qmilter::core {
namespace {

Assignment assigned(std::size_t quarantine, std::vector<std::string> recipients) {
  return Assignment{quarantine, {}, std::move(recipients)};
}

using Kind = sdk::Verdict::Kind;

TEST(Disposition, MixedRecipientsRemoveTheQuarantinedAndAccept) {
  Evaluation e{{assigned(0, {"a@x"})}, {"b@x"}, {}};
  auto d = plan_disposition(e, {sdk::Verdict::discard()}, Preference::first);
  EXPECT_EQ(d.remove, (std::vector<std::string>{"a@x"}));
  EXPECT_EQ(d.verdict.kind, Kind::accept);
  EXPECT_FALSE(d.deciding_quarantine);
}

TEST(Disposition, AllQuarantinedFirstPreferenceTakesHighestPrecedence) {
  Evaluation e{{assigned(0, {"a@x"}), assigned(1, {"b@x"})}, {}, {}};
  auto d = plan_disposition(e, {sdk::Verdict::reject("554", "5.7.0", "no"), sdk::Verdict::discard()}, Preference::first);
  EXPECT_TRUE(d.remove.empty());
  EXPECT_EQ(d.verdict.kind, Kind::reject);
  EXPECT_EQ(d.verdict.text, "no");
  EXPECT_EQ(d.deciding_quarantine, 0u);
}

TEST(Disposition, AllQuarantinedLastPreferenceTakesLowestPrecedence) {
  Evaluation e{{assigned(0, {"a@x"}), assigned(1, {"b@x"})}, {}, {}};
  auto d = plan_disposition(e, {sdk::Verdict::reject("554", "5.7.0", "no"), sdk::Verdict::discard()}, Preference::last);
  EXPECT_EQ(d.verdict.kind, Kind::discard);
  EXPECT_EQ(d.deciding_quarantine, 1u);
}

TEST(Disposition, AcceptingQuarantineKeepsItsRecipientsInTheDelivery) {
  Evaluation e{{assigned(0, {"a@x"}), assigned(1, {"b@x"})}, {}, {}};
  auto d = plan_disposition(e, {sdk::Verdict::discard(), sdk::Verdict::accept()}, Preference::first);
  EXPECT_EQ(d.remove, (std::vector<std::string>{"a@x"}));
  EXPECT_EQ(d.verdict.kind, Kind::accept);
}

TEST(Disposition, OnlyAcceptingQuarantinesAcceptEverything) {
  Evaluation e{{assigned(0, {"a@x", "b@x"})}, {}, {}};
  auto d = plan_disposition(e, {sdk::Verdict::accept()}, Preference::first);
  EXPECT_TRUE(d.remove.empty());
  EXPECT_EQ(d.verdict.kind, Kind::accept);
}

}  // namespace
}  // namespace qmilter::core
