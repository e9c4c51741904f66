// The HTML qmilter-web sends: the message page with its action forms, and the short notice
// pages (done, gone, refused). Every value from a message or a token is escaped here; only
// the preview, which the sanitizer made, is inserted as HTML. No script, nothing loaded from
// elsewhere: the page works the same with JavaScript off.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::web {

struct MessagePage {
  // What the page shows, as UTF-8 text (escaped when rendered).
  std::string quarantine;
  std::string recipient;
  std::string sender;  // envelope sender
  std::string from;
  std::string subject;
  std::string date;
  std::string matched;        // the header the quarantine's regex matched, "" when unknown
  std::string preview_html;   // sanitized: inserted as it is
  std::string csrf;           // goes into every form
  bool can_whitelist = false; // the quarantine has a whitelist and the sender can be added
};

std::string render_message_page(const MessagePage& page);

// A page of one heading and one paragraph.
std::string render_notice(std::string_view title, std::string_view text);

}  // namespace qmilter::web
