// action = hold: the message goes to the MTA's hold queue (smfi_quarantine; Postfix's
// `hold` queue) with <hold_reason>, for an admin to look at: `postqueue -j` lists it,
// `postsuper -H QUEUEID` releases it to its recipients, `postsuper -d QUEUEID` deletes it.
#include <memory>
#include <string>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

class HoldAction final : public Action {
 public:
  explicit HoldAction(std::string reason) : reason_(std::move(reason)) {}

  static std::vector<OptionSpec> option_schema() {
    return {{"hold_reason", OptionType::string, false, "held by qmilter",
             "Why the message is held, passed to the MTA"}};
  }
  static Result<std::unique_ptr<HoldAction>> create(const Options& options, const PluginContext& context) {
    std::string reason = options.string("hold_reason");
    // The MTA logs the reason on one line; libmilter refuses an empty one.
    if (reason.find_first_of("\r\n") != std::string::npos) return Error{"option 'hold_reason': must be a single line"};
    if (reason.empty()) reason = "held by qmilter (quarantine " + context.quarantine + ")";
    return std::make_unique<HoldAction>(std::move(reason));
  }

  Result<Verdict> decide(const MessageView&, std::string_view) override { return Verdict::hold(reason_); }

 private:
  const std::string reason_;
};

}  // namespace

QMILTER_PLUGIN(HoldAction, "hold", "1.0.0", "Puts the message into the MTA's hold queue with <hold_reason>")
