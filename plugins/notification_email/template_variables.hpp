// The template variables of one notification: what the message says, computed
// once per notify() call, and the per-recipient values derived from it. Values are kept raw
// (UTF-8, no escaping); the two lookups escape for their context. The preview is not
// copied per recipient: the variables refer to the facts, which must outlive them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mime/attachments.hpp"
#include "qmilter/sdk/message.hpp"

namespace qmilter::notification_email {

// What every recipient's notification about one message has in common.
struct MessageFacts {
  std::string envelope_from;  // the original envelope sender
  std::string header_from;    // decoded, unfolded From header ("" when absent)
  std::string header_subject; // decoded, unfolded Subject header
  std::string header_date;    // the original Date header, unfolded ("" when absent)
  std::string match;          // the header line that matched, "Name: value" decoded
  std::string quarantine_id;
  std::string html_text;      // the sanitized preview (trusted HTML)
  std::vector<mime::Attachment> attachments;  // found while computing the preview
  std::vector<std::optional<std::string>> groups;                         // regex groups 1..n
  std::vector<std::pair<std::string, std::optional<std::string>>> named;  // named groups
};

// Reads the facts a template can show from the message and the match (not the preview).
MessageFacts collect_facts(const sdk::MessageView& message, std::string_view quarantine_id, const sdk::Match& match);

class TemplateVariables {
 public:
  // EMAIL_* (+ *_URL for the address, subject and id variables), SUBGROUP_0..n-1 (SUBGROUP_0
  // is regex group 1; a group that did not match is empty) and each named group by name.
  // The built-in names win over a named group of the same name. EMAIL_RELEASE_URL is the
  // recipient's qmilter-web link ("" when there is none). Keeps a reference to facts.
  TemplateVariables(const MessageFacts& facts, std::string_view recipient, std::string_view release_url = {});

  // For the HTML body: every value HTML-escaped except EMAIL_HTML_TEXT; EMAIL_ATTACHMENTS
  // is an escaped list; unknown → "".
  std::string html(std::string_view name) const;
  // For headers (subject, From): raw values with CR/LF removed; unknown → "".
  std::string text(std::string_view name) const;

 private:
  const std::string* html_text_;  // EMAIL_HTML_TEXT, in the facts
  const std::vector<mime::Attachment>* attachments_;  // EMAIL_ATTACHMENTS, in the facts
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace qmilter::notification_email
