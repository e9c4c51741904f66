// The email notifier's options: the schema the host validates, and the
// settings built from it once at load — templates parsed, images read and checked, the
// relay and outbox chosen. Immutable afterwards and shared read-only by all threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/smtp/smtp_client.hpp"
#include "core/compose/html_message.hpp"
#include "core/compose/text_template.hpp"
#include "qmilter/sdk/options.hpp"
#include "qmilter/sdk/plugin.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::notification_email {

// An image that goes into every notification (or, for the replacement, into those whose
// preview had an image replaced).
using compose::InlineImage;

struct EmailSettings {
  std::string envelope_from;  // "" = the null sender <>
  compose::TextTemplate from_template;
  compose::TextTemplate subject_template;
  compose::TextTemplate body_template;
  std::string template_path;  // for log lines
  bool strip_images = false;
  bool has_replacement_image = false;
  InlineImage replacement_image;  // Content-ID removed_for_security_reasons
  std::vector<InlineImage> embedded_images;
  std::size_t preview_max = 40 * 1024;       // bytes of the preview, markup included
  std::size_t preview_text_max = 16 * 1024;  // bytes of its visible text
  smtp::Server relay;
  std::string outbox_dir;
};

std::vector<sdk::OptionSpec> email_option_schema();

// Builds the settings; the error names the option and, for files, the path and the reason
// (e.g. "notification_email_template: /etc/qmilter/n.template: line 3, column 7: ...").
sdk::Result<EmailSettings> load_email_settings(const sdk::Options& options, const sdk::PluginContext& context);

}  // namespace qmilter::notification_email
