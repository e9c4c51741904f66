// The HTML qmilter-web sends: the message page with its action forms, and the short notice
// pages (done, gone, refused). Every value from a message or a token is escaped here; only
// the preview, which the sanitizer made, is inserted as HTML. No script, nothing loaded from
// elsewhere: the page works the same with JavaScript off.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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
  std::string attachments_html;  // mime::attachments_html(), escaped: inserted as it is
  std::string csrf;           // goes into every form
  bool can_whitelist = false; // the quarantine has a whitelist and the sender can be added
};

std::string render_message_page(const MessagePage& page);

// One message held for the recipient, on their page.
struct HeldRow {
  std::string quarantine;
  std::string id;
  std::string date;
  std::string from;
  std::string subject;
  std::string link;  // its own page, "" when none can be made
};

// Everything held for one recipient (one page of it), with release/delete per row and for all.
struct RecipientPage {
  std::string recipient;
  std::size_t total = 0;   // messages held, on all pages
  std::size_t page = 1;    // 1-based
  std::size_t pages = 1;
  std::string base_path;   // "/u/<token>": page N is base_path + "/N"
  std::vector<HeldRow> rows;
  std::string csrf;
};

std::string render_recipient_page(const RecipientPage& page);

// The confirmation step of "release all" / "delete all": one form that repeats the action
// with confirm=yes.
std::string render_confirm_page(std::string_view title, std::string_view text, std::string_view csrf,
                                std::string_view action, std::string_view label);

// A page of one heading and one paragraph.
std::string render_notice(std::string_view title, std::string_view text);

}  // namespace qmilter::web
