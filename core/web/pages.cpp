#include "core/web/pages.hpp"

#include "core/html/mixed_script.hpp"
#include "core/html/sanitizer.hpp"

namespace qmilter::web {
namespace {

using html::escape;

constexpr std::string_view style = R"(
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1em; }
th { text-align: left; padding: 0.2em 1em 0.2em 0; vertical-align: top; }
td { padding: 0.2em 0; overflow-wrap: anywhere; }
.preview { border: 1px solid #999; padding: 0.8em; margin: 1em 0; overflow: auto; max-height: 40em; }
.actions form, td form { display: inline-block; margin: 0 1em 1em 0; }
.held td, .held th { padding: 0.3em 0.8em 0.3em 0; border-bottom: 1px solid #ddd; }
button { font-size: 1em; padding: 0.4em 1em; }
.lookalike { color: #b00; }
)";

std::string head(std::string_view title) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"robots\" content=\"noindex, nofollow\">\n";
  out += "<title>" + escape(title) + "</title>\n<style>" + std::string(style) + "</style>\n</head>\n<body>\n";
  return out;
}

std::string row(std::string_view label, std::string_view value) {
  return "<tr><th>" + escape(label) + "</th><td>" + escape(value) + "</td></tr>\n";
}

// A header a look-alike name would be written in: the row names such words in red.
std::string row_with_lookalikes(std::string_view label, std::string_view value) {
  const std::string note = html::lookalike_note(value);
  if (note.empty()) return row(label, value);
  return "<tr><th>" + escape(label) + "</th><td>" + escape(value) + " <b class=\"lookalike\">" + escape(note) +
         "</b></td></tr>\n";
}

// One action: a form that posts back to the page's own URL (no action attribute).
std::string action_form(std::string_view csrf, std::string_view action, std::string_view label) {
  return "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"" + escape(csrf) +
         "\"><button type=\"submit\" name=\"action\" value=\"" + escape(action) + "\">" + escape(label) +
         "</button></form>\n";
}

// An action on one entry of the recipient's page.
std::string row_form(std::string_view csrf, const HeldRow& row, std::string_view action, std::string_view label) {
  return "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"" + escape(csrf) +
         "\"><input type=\"hidden\" name=\"quarantine\" value=\"" + escape(row.quarantine) +
         "\"><input type=\"hidden\" name=\"id\" value=\"" + escape(row.id) +
         "\"><button type=\"submit\" name=\"action\" value=\"" + escape(action) + "\">" + escape(label) +
         "</button></form>";
}

}  // namespace

std::string render_recipient_page(const RecipientPage& page) {
  std::string out = head("Messages held for you");
  out += "<h1>Messages held for you</h1>\n";
  out += "<p>" + std::to_string(page.total) + " message(s) to " + escape(page.recipient) +
         " are held back in quarantine. They have not been delivered.</p>\n";
  if (page.total > 0) {
    out += "<div class=\"actions\">\n";
    out += action_form(page.csrf, "release_all", "Release all");
    out += action_form(page.csrf, "delete_all", "Delete all");
    out += "</div>\n";
  }
  out += "<table class=\"held\">\n<tr><th>Date</th><th>From</th><th>Subject</th><th>Quarantine</th><th></th></tr>\n";
  for (const HeldRow& row : page.rows) {
    out += "<tr><td>" + escape(row.date) + "</td><td>" + escape(row.from) + "</td><td>" + escape(row.subject) +
           "</td><td>" + escape(row.quarantine) + "</td><td>";
    if (!row.link.empty()) out += "<a href=\"" + escape(row.link) + "\">Review</a> ";
    out += row_form(page.csrf, row, "release", "Release") + row_form(page.csrf, row, "delete", "Delete");
    out += "</td></tr>\n";
  }
  out += "</table>\n";
  if (page.pages > 1) {
    out += "<p>Page " + std::to_string(page.page) + " of " + std::to_string(page.pages) + ":";
    for (std::size_t n = 1; n <= page.pages; ++n) {
      if (n == page.page) {
        out += " <b>" + std::to_string(n) + "</b>";
      } else {
        out += " <a href=\"" + escape(page.base_path + "/" + std::to_string(n)) + "\">" + std::to_string(n) + "</a>";
      }
    }
    out += "</p>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

std::string render_confirm_page(std::string_view title, std::string_view text, std::string_view csrf,
                                std::string_view action, std::string_view label) {
  std::string out = head(title) + "<h1>" + escape(title) + "</h1>\n<p>" + escape(text) + "</p>\n";
  out += "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"" + escape(csrf) +
         "\"><input type=\"hidden\" name=\"confirm\" value=\"yes\"><button type=\"submit\" name=\"action\" value=\"" +
         escape(action) + "\">" + escape(label) + "</button></form>\n";
  out += "<p>Or go back to the list without changing anything.</p>\n</body>\n</html>\n";
  return out;
}

std::string render_message_page(const MessagePage& page) {
  std::string out = head("Quarantined message");
  out += "<h1>Quarantined message</h1>\n";
  out += "<p>This message to " + escape(page.recipient) + " was held back by the quarantine <b>" +
         escape(page.quarantine) + "</b>. It has not been delivered.</p>\n<table>\n";
  out += row_with_lookalikes("From", page.from);
  out += row("Envelope sender", page.sender.empty() ? "(none)" : page.sender);
  out += row_with_lookalikes("Subject", page.subject);
  out += row("Date", page.date);
  out += row("Quarantine", page.quarantine);
  if (!page.matched.empty()) out += row("Matched", page.matched);
  out += "</table>\n<div class=\"actions\">\n";
  out += action_form(page.csrf, "release", "Release to my inbox");
  if (page.can_whitelist) out += action_form(page.csrf, "whitelist", "Release and always accept this sender");
  out += action_form(page.csrf, "delete", "Delete");
  out += "</div>\n<h2>Attachments</h2>\n" + page.attachments_html + "\n<h2>Preview</h2>\n";
  out += "<p><i>Links are disabled and images removed in this preview.</i></p>\n";
  out += "<div class=\"preview\">\n" + page.preview_html + "\n</div>\n</body>\n</html>\n";
  return out;
}

std::string render_notice(std::string_view title, std::string_view text) {
  return head(title) + "<h1>" + escape(title) + "</h1>\n<p>" + escape(text) + "</p>\n</body>\n</html>\n";
}

}  // namespace qmilter::web
