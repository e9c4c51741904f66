#include "email_settings.hpp"

#include "qmilter/sdk/text.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace qmilter::notification_email {
namespace {

namespace fs = std::filesystem;

std::string resolve(const std::string& path, const std::string& config_dir) {
  if (path.empty() || fs::path(path).is_absolute() || config_dir.empty()) return path;
  return (fs::path(config_dir) / path).lexically_normal().string();
}

sdk::Result<std::string> read_file(const std::string& option, const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return sdk::Error{option + ": " + path + ": is a directory, not a file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return sdk::Error{option + ": " + path + ": cannot read: " + std::strerror(errno)};
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return sdk::Error{option + ": " + path + ": read error"};
  return content.str();
}

// Image types a mail client shows inline. Sniffed so that a mislabelled file (or SVG, which
// can carry script) is refused at load instead of producing a broken or unsafe mail.
std::string sniff_image_type(std::string_view bytes) {
  const auto starts = [&](std::string_view magic) { return bytes.substr(0, magic.size()) == magic; };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("BM")) return "image/bmp";
  if (bytes.size() >= 12 && starts("RIFF") && bytes.substr(8, 4) == "WEBP") return "image/webp";
  return {};
}

sdk::Result<InlineImage> load_image(const std::string& option, const std::string& path) {
  auto bytes = read_file(option, path);
  if (!bytes) return bytes.error();
  InlineImage image;
  image.file_name = fs::path(path).filename().string();
  image.content_type = sniff_image_type(bytes.value());
  if (image.content_type.empty()) {
    return sdk::Error{option + ": " + path + ": not a PNG, JPEG, GIF, BMP or WebP image"};
  }
  image.bytes = std::move(bytes).value();
  return image;
}

sdk::Result<compose::TextTemplate> parse_template(const std::string& option, const std::string& origin,
                                                 std::string_view text) {
  auto parsed = compose::TextTemplate::parse(text);
  if (!parsed) return sdk::Error{option + ": " + origin + ": " + parsed.error().message};
  return parsed;
}

// The outbox must be a directory we can create files in. In check mode nothing is created:
// an absent directory is fine when its nearest existing parent is writable.
sdk::Status check_outbox_dir(const std::string& dir, sdk::Role role) {
  std::error_code ec;
  fs::path probe(dir);
  if (role != sdk::Role::check) {
    fs::create_directories(probe / "failed", ec);
    if (ec) return sdk::Error{"notification_spool_dir: " + dir + ": cannot create: " + ec.message()};
  }
  while (!probe.empty() && !fs::exists(probe, ec)) probe = probe.parent_path();
  if (probe.empty()) probe = ".";
  if (!fs::is_directory(probe, ec)) return sdk::Error{"notification_spool_dir: " + probe.string() + ": not a directory"};
  if (::access(probe.c_str(), W_OK | X_OK) != 0) {
    return sdk::Error{"notification_spool_dir: " + probe.string() + ": not writable: " + std::strerror(errno)};
  }
  return {};
}

}  // namespace

std::vector<sdk::OptionSpec> email_option_schema() {
  using sdk::OptionType;
  return {
      {"notification_email_envelope_from", OptionType::string, true, "", "Envelope sender of notifications (<> for none)"},
      {"notification_email_from", OptionType::string, true, "", "From header template"},
      {"notification_email_subject", OptionType::string, true, "", "Subject template"},
      {"notification_email_template", OptionType::path, true, "", "HTML template file, read and parsed once at load"},
      {"notification_email_replacement_img", OptionType::path, false, "",
       "Image shown instead of images removed from the message"},
      {"notification_email_embedded_imgs", OptionType::path_list, false, "",
       "Image files attached to every notification (Content-ID = file name)"},
      {"notification_email_strip_images", OptionType::boolean, false, "false", "Remove every image from the preview"},
      {"notification_email_preview_max", OptionType::integer, false, "40960",
       "Largest preview (EMAIL_HTML_TEXT) in bytes, markup included", 1024, 64 * 1024 * 1024},
      {"notification_email_preview_text_max", OptionType::integer, false, "16384",
       "Most visible text of a preview in bytes", 256, 64 * 1024 * 1024},
      {"notification_email_smtp_host", OptionType::string, false, "", "Relay for notifications (default smtp_host)"},
      {"notification_email_smtp_port", OptionType::integer, false, "", "Relay port for notifications (default smtp_port)",
       1, 65535},
      {"notification_spool_dir", OptionType::path, false, "",
       "Outbox of notifications not yet delivered (default state_dir/outbox/quarantine)"},
  };
}

sdk::Result<EmailSettings> load_email_settings(const sdk::Options& options, const sdk::PluginContext& context) {
  EmailSettings settings;

  settings.envelope_from = options.string("notification_email_envelope_from");
  if (settings.envelope_from == "<>") settings.envelope_from.clear();
  if (settings.envelope_from.find_first_of("\r\n<> ") != std::string::npos) {
    return sdk::Error{"notification_email_envelope_from: '" + settings.envelope_from + "' is not a plain address"};
  }

  auto from = parse_template("notification_email_from", "template", options.string("notification_email_from"));
  if (!from) return from.error();
  settings.from_template = std::move(from).value();
  auto subject = parse_template("notification_email_subject", "template", options.string("notification_email_subject"));
  if (!subject) return subject.error();
  settings.subject_template = std::move(subject).value();

  settings.template_path = resolve(options.string("notification_email_template"), context.config_dir);
  if (settings.template_path.empty()) return sdk::Error{"notification_email_template: no file given"};
  auto body_text = read_file("notification_email_template", settings.template_path);
  if (!body_text) return body_text.error();
  if (!sdk::is_valid_utf8(body_text.value())) {
    return sdk::Error{"notification_email_template: " + settings.template_path + ": not valid UTF-8"};
  }
  auto body = parse_template("notification_email_template", settings.template_path, body_text.value());
  if (!body) return body.error();
  settings.body_template = std::move(body).value();

  settings.strip_images = options.boolean("notification_email_strip_images");
  const std::string replacement = resolve(options.string("notification_email_replacement_img"), context.config_dir);
  if (!replacement.empty() && !settings.strip_images) {
    auto image = load_image("notification_email_replacement_img", replacement);
    if (!image) return image.error();
    settings.replacement_image = std::move(image).value();
    settings.replacement_image.file_name = "removed_for_security_reasons";
    settings.has_replacement_image = true;
  }
  for (const std::string& listed : options.list("notification_email_embedded_imgs")) {
    auto image = load_image("notification_email_embedded_imgs", resolve(listed, context.config_dir));
    if (!image) return image.error();
    for (const InlineImage& other : settings.embedded_images) {
      if (other.file_name == image.value().file_name) {
        return sdk::Error{"notification_email_embedded_imgs: two images named '" + other.file_name +
                          "' would share one Content-ID"};
      }
    }
    settings.embedded_images.push_back(std::move(image).value());
  }

  // Range and default come from the schema, checked by the host.
  settings.preview_max = static_cast<std::size_t>(options.integer("notification_email_preview_max"));
  settings.preview_text_max = static_cast<std::size_t>(options.integer("notification_email_preview_text_max"));

  // The quarantine's relay unless notifications have their own.
  // An empty value means "not set", as it did when the default came from smtp_host.
  settings.relay.host = options.has("notification_email_smtp_host") && !options.string("notification_email_smtp_host").empty()
                            ? options.string("notification_email_smtp_host")
                            : context.relay.host;
  if (settings.relay.host.empty()) return sdk::Error{"smtp_host: no relay for notifications (set smtp_host)"};
  settings.relay.port = options.has("notification_email_smtp_port") ? options.integer("notification_email_smtp_port")
                                                                    : context.relay.port;

  settings.outbox_dir = options.string("notification_spool_dir");
  if (settings.outbox_dir.empty()) {
    if (context.state_dir.empty()) {
      return sdk::Error{"notification_spool_dir: not set and [global] state_dir is not set either"};
    }
    settings.outbox_dir = (fs::path(context.state_dir) / "outbox" / context.quarantine).string();
  }
  settings.outbox_dir = resolve(settings.outbox_dir, context.config_dir);
  if (auto status = check_outbox_dir(settings.outbox_dir, context.role); !status) return status.error();
  return settings;
}

}  // namespace qmilter::notification_email
