// Action: the answer to the MTA when every recipient of a message was quarantined, or,
// for an accept verdict, what the delivered message gets (tag: headers, a Subject prefix).
// One instance per quarantine section, shared and called concurrently. The host applies
// the verdict; an Error makes it answer TEMPFAIL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

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
  // accept only, from an action whose edits_message() is true: what the delivered message
  // gets. Headers go on as given (one line each, ASCII or RFC 2047 encoded words); the
  // prefix goes in front of the Subject (UTF-8: the host encodes it where needed).
  std::vector<Header> add_headers;
  std::string subject_prefix;

  static Verdict accept() { return {Kind::accept, {}, {}, {}, {}, {}}; }
  static Verdict discard() { return {Kind::discard, {}, {}, {}, {}, {}}; }
  static Verdict reject(std::string code, std::string xcode, std::string text) {
    return {Kind::reject, std::move(code), std::move(xcode), std::move(text), {}, {}};
  }
  static Verdict tempfail(std::string code, std::string xcode, std::string text) {
    return {Kind::tempfail, std::move(code), std::move(xcode), std::move(text), {}, {}};
  }
  static Verdict hold(std::string reason) { return {Kind::hold, {}, {}, std::move(reason), {}, {}}; }
  // Deliver, marked: the recipients keep the message, with these headers and Subject prefix.
  static Verdict tag(std::vector<Header> headers, std::string subject_prefix) {
    return {Kind::accept, {}, {}, {}, std::move(headers), std::move(subject_prefix)};
  }
};

class Action {
 public:
  static constexpr PluginKind plugin_kind = PluginKind::action;
  virtual ~Action() = default;

  // The verdict for `message`, which the quarantine stored as `quarantine_id` ("" when its
  // store keeps nothing).
  virtual Result<Verdict> decide(const MessageView& message, std::string_view quarantine_id) = 0;

  // Whether decide() may return header edits (Verdict::tag). The host asks the MTA for the
  // right to change headers only when a loaded action says so. Asked once, at load.
  virtual bool edits_message() const { return false; }
};

}  // namespace qmilter::sdk
