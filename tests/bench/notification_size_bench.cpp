// Notification sizes per message, before and after the preview budget: for each message
// file, the whole notification (shipped template, replacement image when used) with the
// old preview settings — every safe style kept, a 256 KiB byte cap, no text budget, and
// an empty text part — and with the defaults of notification_email_preview_max /
// _preview_text_max, the style subset and the text/plain alternative. Prints one row per
// message and the totals for BENCHMARKS.md; checks nothing (the sizes are deterministic).
// Usage: notification_size_bench TEMPLATE REPLACEMENT.png MESSAGE...
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/compose/text_template.hpp"
#include "core/compose/html_message.hpp"
#include "core/mime/attachments.hpp"
#include "core/mime/preview.hpp"
#include "notification_message.hpp"

namespace {

using qmilter::notification_email::NotificationContent;

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Settings {
  bool keep_layout_styles;
  std::size_t max_bytes;
  std::size_t max_text;
  bool text_part;
};

std::size_t notification_size(const qmilter::compose::TextTemplate& body, const qmilter::compose::InlineImage& image,
                              const std::string& raw, const Settings& settings) {
  qmilter::html::SanitizeOptions options;
  options.keep_layout_styles = settings.keep_layout_styles;
  const qmilter::mime::Preview preview =
      qmilter::mime::make_preview(raw, options, settings.max_bytes, settings.max_text);
  const std::string attachments = qmilter::mime::attachments_html(preview.attachments);
  NotificationContent content;
  content.from = "Quarantine <notify@example.org>";
  content.to = "recipient@example.org";
  content.subject = "Quarantined";
  content.html = body.render_around(
      [&](std::string_view name) -> std::string {
        if (name == "EMAIL_ATTACHMENTS") return attachments;
        if (name == "EMAIL_RELEASE_URL") return "https://quarantine.example.org/m/0123456789abcdef?t=0123456789abcdef";
        return name.starts_with("EMAIL_") ? "value of " + std::string(name) : std::string();
      },
      "EMAIL_HTML_TEXT");
  content.replacement_image = preview.image_replaced ? &image : nullptr;
  if (!settings.text_part) {
    // The old message: HTML only (here with an empty text part: ~150 bytes of its headers).
    std::string html;
    for (std::size_t i = 0; i < content.html.size(); ++i) html += (i > 0 ? preview.html : "") + content.html[i];
    qmilter::compose::HtmlMessageHeaders headers{content.from, content.to, content.subject, "", {}};
    if (content.replacement_image != nullptr) headers.images.push_back(content.replacement_image);
    auto written = qmilter::compose::write_html_message(headers, "", html, qmilter::compose::new_boundaries());
    return written ? written.value().size() : 0;
  }
  qmilter::notification_email::NotificationBatchBuilder builder(preview.html);
  if (!builder.add(content)) return 0;
  const auto batch = std::move(builder).take();
  std::size_t size = 0;
  for (const auto& piece : batch.items.front().pieces)
    size += piece.shared == qmilter::notification_email::OutboxPiece::own ? piece.bytes.size()
                                                                          : batch.shared.at(piece.shared).size();
  return size;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s TEMPLATE REPLACEMENT.png MESSAGE...\n", argv[0]);
    return 2;
  }
  auto body = qmilter::compose::TextTemplate::parse(read_file(argv[1]));
  if (!body) {
    std::fprintf(stderr, "%s: %s\n", argv[1], body.error().message.c_str());
    return 1;
  }
  const qmilter::compose::InlineImage image{"removed_for_security_reasons", "image/png", read_file(argv[2])};
  const Settings before{true, 256 * 1024, static_cast<std::size_t>(-1), false};
  const Settings after{false, 40 * 1024, 16 * 1024, true};
  std::size_t total_before = 0, total_after = 0, largest_after = 0;
  std::printf("| message | bytes | notification before | after | after/before |\n|---|---:|---:|---:|---:|\n");
  for (int i = 3; i < argc; ++i) {
    const std::string raw = read_file(argv[i]);
    const std::size_t b = notification_size(body.value(), image, raw, before);
    const std::size_t a = notification_size(body.value(), image, raw, after);
    total_before += b;
    total_after += a;
    largest_after = std::max(largest_after, a);
    std::string name = argv[i];
    name = name.substr(name.find_last_of('/') + 1);
    std::printf("| %s | %zu | %zu | %zu | %.2f |\n", name.c_str(), raw.size(), b, a,
                b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b));
  }
  std::printf("| all %d | | %zu | %zu | %.2f |\nlargest notification after: %zu bytes\n", argc - 3, total_before,
              total_after, total_before == 0 ? 0.0 : static_cast<double>(total_after) / static_cast<double>(total_before),
              largest_after);
  return 0;
}
