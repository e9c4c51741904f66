// What QMILTER_PLUGIN promises: an exception thrown by a plugin never reaches the host;
// it arrives as an Error naming the method.
#include <gtest/gtest.h>

#include <stdexcept>

#include "qmilter/sdk/plugin.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"

namespace {

using namespace qmilter::sdk;

class ThrowingAction final : public Action {
 public:
  static std::vector<OptionSpec> option_schema() { return {}; }
  static Result<std::unique_ptr<ThrowingAction>> create(const Options& options, const PluginContext&) {
    if (options.has("explode_at_start")) throw std::runtime_error("boom at start");
    return std::make_unique<ThrowingAction>();
  }
  Result<Verdict> decide(const MessageView&, std::string_view) override { throw std::runtime_error("database exploded"); }
};

TEST(Guard, ExceptionFromAMethodBecomesAnError) {
  detail::FactoryFor<ThrowingAction> factory;
  qmilter::sdk::testing::CaptureLogger logger;
  auto action = factory.create(Options(), PluginContext{"spam", "/", "/", Role::check, &logger, {}});
  ASSERT_TRUE(action.ok());
  auto verdict = action.value()->decide(qmilter::sdk::testing::FakeMessage(), "");
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().message, "decide: unexpected exception: database exploded");
}

TEST(Guard, ExceptionFromCreateBecomesAnError) {
  detail::FactoryFor<ThrowingAction> factory;
  qmilter::sdk::testing::CaptureLogger logger;
  auto action = factory.create(Options("spam", {{"explode_at_start", true}}),
                               PluginContext{"spam", "/", "/", Role::check, &logger, {}});
  ASSERT_FALSE(action.ok());
  EXPECT_EQ(action.error().message, "plugin failed to start: boom at start");
}

}  // namespace
