// action = reject: the SMTP client gets `554 5.7.0 <reject_reason>`.
#include <memory>
#include <string>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

class RejectAction final : public Action {
 public:
  explicit RejectAction(std::string reason) : reason_(std::move(reason)) {}

  static std::vector<OptionSpec> option_schema() {
    return {{"reject_reason", OptionType::string, false, "Message rejected",
             "Text of the 554 5.7.0 reply the SMTP client gets"}};
  }
  static Result<std::unique_ptr<RejectAction>> create(const Options& options, const PluginContext&) {
    std::string reason = options.string("reject_reason");
    // A CR or LF would end the SMTP reply line early; libmilter refuses such replies.
    if (reason.find_first_of("\r\n") != std::string::npos) {
      return Error{"option 'reject_reason': must be a single line"};
    }
    if (reason.empty()) reason = "Message rejected";
    return std::make_unique<RejectAction>(std::move(reason));
  }

  Result<Verdict> decide(const MessageView&, std::string_view) override { return Verdict::reject("554", "5.7.0", reason_); }

 private:
  const std::string reason_;
};

}  // namespace

QMILTER_PLUGIN(RejectAction, "reject", "1.0.0", "Rejects the message with 554 5.7.0 <reject_reason>")
