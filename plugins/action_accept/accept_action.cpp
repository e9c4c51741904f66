// action = accept: the MTA delivers the message as usual.
#include <memory>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

class AcceptAction final : public Action {
 public:
  static std::vector<OptionSpec> option_schema() { return {}; }
  static Result<std::unique_ptr<AcceptAction>> create(const Options&, const PluginContext&) {
    return std::make_unique<AcceptAction>();
  }
  Result<Verdict> decide(const MessageView&, std::string_view) override { return Verdict::accept(); }
};

}  // namespace

QMILTER_PLUGIN(AcceptAction, "accept", "1.0.0", "Lets the MTA deliver the message")
