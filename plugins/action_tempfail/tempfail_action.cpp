// action = tempfail: the SMTP client gets `<tempfail_code> <tempfail_extended_code>
// <tempfail_reason>` (451 4.7.1 by default) and retries later: a "defer while we look"
// policy. The quarantine still stores and notifies as configured, once per attempt.
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

// "4xy": a temporary failure, as RFC 5321 defines them.
bool is_temporary_reply_code(const std::string& code) {
  return code.size() == 3 && code[0] == '4' && std::isdigit(static_cast<unsigned char>(code[1])) &&
         std::isdigit(static_cast<unsigned char>(code[2]));
}

// "4.x.y" with x and y of one to three digits (RFC 3463).
bool is_temporary_extended_code(const std::string& code) {
  if (code.size() < 5 || code.compare(0, 2, "4.") != 0) return false;
  std::size_t digits = 0, dots = 0;
  for (std::size_t i = 2; i < code.size(); ++i) {
    if (code[i] == '.') {
      if (digits == 0 || ++dots > 1) return false;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(code[i])) && ++digits <= 3) {
      continue;
    } else {
      return false;
    }
  }
  return dots == 1 && digits > 0;
}

class TempfailAction final : public Action {
 public:
  explicit TempfailAction(Verdict verdict) : verdict_(std::move(verdict)) {}

  static std::vector<OptionSpec> option_schema() {
    return {{"tempfail_code", OptionType::string, false, "451", "The SMTP reply code 4xy"},
            {"tempfail_extended_code", OptionType::string, false, "4.7.1", "The enhanced status code 4.x.y"},
            {"tempfail_reason", OptionType::string, false, "Message deferred, try again later",
             "The text of the reply, one line"}};
  }
  static Result<std::unique_ptr<TempfailAction>> create(const Options& options, const PluginContext&) {
    std::string code = options.string("tempfail_code");
    std::string extended = options.string("tempfail_extended_code");
    std::string reason = options.string("tempfail_reason");
    if (!is_temporary_reply_code(code)) return Error{"option 'tempfail_code': '" + code + "' is not a 4xy reply code"};
    if (!is_temporary_extended_code(extended)) {
      return Error{"option 'tempfail_extended_code': '" + extended + "' is not a 4.x.y status code"};
    }
    // A CR or LF would end the SMTP reply line early; libmilter refuses such replies.
    if (reason.find_first_of("\r\n") != std::string::npos) {
      return Error{"option 'tempfail_reason': must be a single line"};
    }
    return std::make_unique<TempfailAction>(Verdict::tempfail(std::move(code), std::move(extended), std::move(reason)));
  }

  Result<Verdict> decide(const MessageView&, std::string_view) override { return verdict_; }

 private:
  const Verdict verdict_;
};

}  // namespace

QMILTER_PLUGIN(TempfailAction, "tempfail", "1.0.0",
               "Defers the message: <tempfail_code> <tempfail_extended_code> <tempfail_reason> (451 4.7.1)")
