// Sizes in binary units with one decimal, as file managers show them, so the recipient
// can compare with what the sender claims.
#include "core/mime/attachments.hpp"

#include <cstdio>

#include "core/html/sanitizer.hpp"

namespace qmilter::mime {
namespace {

std::string human_size(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  const char* unit = "KiB";
  double value = static_cast<double>(bytes) / 1024.0;
  for (const char* larger : {"MiB", "GiB"}) {
    if (value < 1024.0) break;
    value /= 1024.0;
    unit = larger;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, unit);
  return text;
}

}  // namespace

std::string describe_attachment(const Attachment& attachment) {
  std::string line = attachment.file_name.empty() ? std::string("(no name)") : attachment.file_name;
  line += " (";
  line += attachment.content_type.empty() ? std::string("application/octet-stream") : attachment.content_type;
  line += ", " + human_size(attachment.size) + ")";
  return line;
}

std::string attachments_text(const std::vector<Attachment>& attachments) {
  if (attachments.empty()) return "none";
  std::string text;
  for (const Attachment& attachment : attachments) {
    if (!text.empty()) text += "; ";
    text += describe_attachment(attachment);
  }
  return text;
}

std::string attachments_html(const std::vector<Attachment>& attachments) {
  if (attachments.empty()) return "<p><i>none</i></p>";
  std::string html = "<ul>";
  for (const Attachment& attachment : attachments) html += "<li>" + html::escape(describe_attachment(attachment)) + "</li>";
  html += "</ul>";
  return html;
}

}  // namespace qmilter::mime
