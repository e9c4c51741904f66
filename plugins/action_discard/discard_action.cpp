// action = discard: the MTA accepts the message and silently drops it.
#include <memory>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

class DiscardAction final : public Action {
 public:
  static std::vector<OptionSpec> option_schema() { return {}; }
  static Result<std::unique_ptr<DiscardAction>> create(const Options&, const PluginContext&) {
    return std::make_unique<DiscardAction>();
  }
  Result<Verdict> decide(const MessageView&, std::string_view) override { return Verdict::discard(); }
};

}  // namespace

QMILTER_PLUGIN(DiscardAction, "discard", "1.0.0", "Accepts the message and drops it")
