#include "core/cli/digest_message.hpp"

#include <ctime>

#include "core/compose/header_encoding.hpp"
#include "core/compose/html_message.hpp"
#include "core/html/plain_text.hpp"
#include "core/html/sanitizer.hpp"

namespace qmilter::cli {
namespace {

// A digest lists many messages: one hostile Subject must not make a row a page long.
constexpr std::size_t max_cell_bytes = 200;

std::string shortened(const std::string& text) {
  const std::string valid = compose::repair_utf8(text);
  if (valid.size() <= max_cell_bytes) return valid;
  std::size_t cut = max_cell_bytes;
  while (cut > 0 && (static_cast<unsigned char>(valid[cut]) & 0xC0) == 0x80) --cut;  // a character boundary
  return valid.substr(0, cut) + "\u2026";
}

std::string local_time(std::int64_t unix_time) {
  std::time_t when = static_cast<std::time_t>(unix_time);
  std::tm local{};
  localtime_r(&when, &local);
  char text[32];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &local));
}

std::string cell(const std::string& text) { return "    <td>" + html::escape(shortened(text)) + "</td>\n"; }

}  // namespace

std::string render_digest_rows(const std::vector<DigestRow>& rows) {
  std::string out;
  for (const DigestRow& row : rows) {
    out += "   <tr>\n";
    out += cell(local_time(row.date));
    out += cell(row.from);
    out += cell(row.subject);
    out += cell(row.quarantine);
    out += row.link.empty() ? "    <td></td>\n" : "    <td><a href=\"" + html::escape(row.link) + "\">Review</a></td>\n";
    out += "   </tr>\n";
  }
  return out;
}

sdk::Result<std::string> build_digest(const core::DigestSettings& settings, const std::string& recipient,
                                      const std::vector<DigestRow>& rows, const std::string& digest_url) {
  const std::string count = std::to_string(rows.size());
  const std::string rendered_rows = render_digest_rows(rows);
  const std::string body = settings.body.render([&](std::string_view name) -> std::string {
    if (name == "DIGEST_TO") return html::escape(recipient);
    if (name == "DIGEST_COUNT") return count;
    if (name == "DIGEST_ROWS") return rendered_rows;
    if (name == "DIGEST_URL") return html::escape(digest_url);
    return {};
  });
  const auto text = [&](std::string_view name) -> std::string {
    if (name == "DIGEST_TO") return compose::without_line_breaks(recipient);
    if (name == "DIGEST_COUNT") return count;
    return {};
  };
  compose::HtmlMessageHeaders headers;
  headers.to = recipient;
  headers.subject = compose::without_line_breaks(settings.subject.render(text));
  headers.from = compose::without_line_breaks(settings.from.render(text));
  if (headers.from.empty()) headers.from = settings.envelope_from;
  headers.fallback_address = settings.envelope_from;
  return compose::write_html_message(headers, html::to_plain_text(body), body, compose::new_boundaries());
}

}  // namespace qmilter::cli
