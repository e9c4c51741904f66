// notification_type = none: recipients are not told.
#include <memory>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

class NoneNotifier final : public Notifier {
 public:
  static std::vector<OptionSpec> option_schema() { return {}; }
  static Result<std::unique_ptr<NoneNotifier>> create(const Options&, const PluginContext&) {
    return std::make_unique<NoneNotifier>();
  }

  bool sends_notifications() const override { return false; }
  Status notify(const MessageView&, const std::vector<std::string>&, std::string_view, const Match&) override {
    return {};
  }
};

}  // namespace

QMILTER_PLUGIN(NoneNotifier, "none", "1.0.0", "Sends no notifications")
