#include "core/web/pages.hpp"

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
.actions form { display: inline-block; margin: 0 1em 1em 0; }
button { font-size: 1em; padding: 0.4em 1em; }
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

// One action: a form that posts back to the page's own URL (no action attribute).
std::string action_form(std::string_view csrf, std::string_view action, std::string_view label) {
  return "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"" + escape(csrf) +
         "\"><button type=\"submit\" name=\"action\" value=\"" + escape(action) + "\">" + escape(label) +
         "</button></form>\n";
}

}  // namespace

std::string render_message_page(const MessagePage& page) {
  std::string out = head("Quarantined message");
  out += "<h1>Quarantined message</h1>\n";
  out += "<p>This message to " + escape(page.recipient) + " was held back by the quarantine <b>" +
         escape(page.quarantine) + "</b>. It has not been delivered.</p>\n<table>\n";
  out += row("From", page.from);
  out += row("Envelope sender", page.sender.empty() ? "(none)" : page.sender);
  out += row("Subject", page.subject);
  out += row("Date", page.date);
  out += row("Quarantine", page.quarantine);
  if (!page.matched.empty()) out += row("Matched", page.matched);
  out += "</table>\n<div class=\"actions\">\n";
  out += action_form(page.csrf, "release", "Release to my inbox");
  if (page.can_whitelist) out += action_form(page.csrf, "whitelist", "Release and always accept this sender");
  out += action_form(page.csrf, "delete", "Delete");
  out += "</div>\n<h2>Preview</h2>\n";
  out += "<p><i>Links are disabled and images removed in this preview.</i></p>\n";
  out += "<div class=\"preview\">\n" + page.preview_html + "\n</div>\n</body>\n</html>\n";
  return out;
}

std::string render_notice(std::string_view title, std::string_view text) {
  return head(title) + "<h1>" + escape(title) + "</h1>\n<p>" + escape(text) + "</p>\n</body>\n</html>\n";
}

}  // namespace qmilter::web
