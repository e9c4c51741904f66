// Action: the answer to the MTA when every recipient of a message was quarantined.
// One instance per quarantine section, shared and called concurrently. The host applies
// the verdict; an Error makes it answer TEMPFAIL.
#pragma once

#include <string>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/abi.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::sdk {

struct Verdict {
  enum class Kind { accept, discard, reject, tempfail, hold };

  Kind kind = Kind::accept;
  std::string reply_code;     // reject/tempfail: "554", "451"; empty = the MTA's default
  std::string extended_code;  // reject/tempfail: "5.7.0"
  std::string text;           // reject/tempfail: reply text; hold: the reason

  static Verdict accept() { return {Kind::accept, {}, {}, {}}; }
  static Verdict discard() { return {Kind::discard, {}, {}, {}}; }
  static Verdict reject(std::string code, std::string xcode, std::string text) {
    return {Kind::reject, std::move(code), std::move(xcode), std::move(text)};
  }
  static Verdict tempfail(std::string code, std::string xcode, std::string text) {
    return {Kind::tempfail, std::move(code), std::move(xcode), std::move(text)};
  }
  static Verdict hold(std::string reason) { return {Kind::hold, {}, {}, std::move(reason)}; }
};

class Action {
 public:
  static constexpr PluginKind plugin_kind = PluginKind::action;
  virtual ~Action() = default;

  virtual Result<Verdict> decide(const MessageView& message) = 0;
};

}  // namespace qmilter::sdk
