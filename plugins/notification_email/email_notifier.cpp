// notification_type = email. notify() renders one notification per recipient and
// queues them, as one outbox file that holds the preview once, before it returns; delivery
// happens elsewhere:
//   daemon: the OutboxSender thread of this instance (and of any other generation sharing
//           the outbox) sends them;
//   admin (qmilterctl ... notify): sent right away from the calling thread, holding the
//           file's lock; a 4xx/connection failure leaves the rest queued for the daemon, a
//           5xx refusal keeps that notification in failed/ and is reported as an error;
//   check (qmilter -t): everything is loaded and checked; nothing is created or sent.
// The instance is immutable after create() and shared by all connections.
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/mime/preview.hpp"
#include "email_settings.hpp"
#include "core/compose/header_encoding.hpp"
#include "notification_message.hpp"
#include "outbox.hpp"
#include "outbox_sender.hpp"
#include "qmilter/sdk/sdk.hpp"
#include "template_variables.hpp"

namespace qmilter::notification_email {

using compose::without_line_breaks;

namespace {

constexpr std::string_view html_text_variable = "EMAIL_HTML_TEXT";
constexpr std::string_view attachments_variable = "EMAIL_ATTACHMENTS";
constexpr std::string_view release_url_variable = "EMAIL_RELEASE_URL";

class EmailNotifier final : public sdk::Notifier {
 public:
  static std::vector<sdk::OptionSpec> option_schema() { return email_option_schema(); }

  static sdk::Result<std::unique_ptr<EmailNotifier>> create(const sdk::Options& options,
                                                            const sdk::PluginContext& context) {
    auto settings = load_email_settings(options, context);
    if (!settings) return settings.error();
    // A template with a link nobody can make would send every recipient a dead link.
    if (!context.release_links && uses_release_url(settings.value())) {
      return sdk::Error{"the notification templates use {EMAIL_RELEASE_URL}, which needs qmilter-web: set [global] "
                        "web_base_url and web_secret_file"};
    }
    return std::unique_ptr<EmailNotifier>(new EmailNotifier(std::move(settings).value(), context));
  }

  bool sends_notifications() const override { return true; }

 private:
  static bool uses_release_url(const EmailSettings& settings) {
    return settings.body_template.references(release_url_variable) ||
           settings.subject_template.references(release_url_variable) ||
           settings.from_template.references(release_url_variable);
  }

  EmailNotifier(EmailSettings settings, const sdk::PluginContext& context)
      : settings_(std::move(settings)),
        outbox_(settings_.outbox_dir),
        role_(context.role),
        logger_(context.logger),
        release_links_(context.release_links) {
    // The attachments are found by the same MIME walk as the preview's text.
    for (const std::string_view variable : {html_text_variable, attachments_variable}) {
      needs_preview_ = needs_preview_ || settings_.body_template.references(variable) ||
                       settings_.subject_template.references(variable) ||
                       settings_.from_template.references(variable);
    }
    if (role_ == sdk::Role::daemon) {
      sender_ = std::make_unique<OutboxSender>(outbox_, settings_.relay, RetryPolicy{}, logger_,
                                               OutboxFigures(*context.metrics));
    }
  }

  // The message as the preview parser wants it: headers, empty line, body.
  std::string raw_message(const sdk::MessageView& message) const {
    std::string raw;
    raw.reserve(static_cast<std::size_t>(message.body_size()) + 4096);
    for (const sdk::Header& header : message.headers()) {
      raw += header.name;
      raw += ": ";
      raw += header.value;
      raw += "\r\n";
    }
    raw += "\r\n";
    const sdk::Status read = message.read_body([&raw](std::string_view chunk) {
      raw.append(chunk);
      return true;
    });
    if (!read) throw std::runtime_error("cannot read the message body: " + read.error().message);
    return raw;
  }

 public:
  sdk::Status notify(const sdk::MessageView& message, const std::vector<std::string>& recipients,
                     std::string_view quarantine_id, const sdk::Match& match) override {
    MessageFacts facts = collect_facts(message, quarantine_id, match);
    bool image_replaced = false;
    if (needs_preview_) {
      html::SanitizeOptions options;
      options.strip_images = settings_.strip_images;
      options.replace_images = settings_.has_replacement_image;
      mime::Preview preview = mime::make_preview(raw_message(message), options, settings_.preview_max,
                                                    settings_.preview_text_max);
      facts.html_text = std::move(preview.html);
      facts.attachments = std::move(preview.attachments);
      image_replaced = preview.image_replaced && settings_.has_replacement_image;
      if (!preview.had_text_part) logger_->info(message.queue_id(), "no text part found for the notification preview");
    }

    // Render everything first, then queue the message's notifications as one outbox file:
    // either every recipient's notification is durable or none is (no duplicates when the
    // MTA retries after a TEMPFAIL), and two syncs suffice whatever the recipient count.
    // The preview is encoded once and stored once, whatever the recipient count.
    NotificationBatchBuilder builder(facts.html_text);
    for (const std::string& recipient : recipients) {
      auto link = release_url(quarantine_id, recipient);
      if (!link) return sdk::Error{"notification to <" + recipient + ">: " + link.error().message};
      if (auto added = builder.add(content_for(facts, recipient, link.value(), image_replaced)); !added) {
        return sdk::Error{"notification to <" + recipient + ">: " + added.error().message};
      }
    }
    const OutboxBatch items = std::move(builder).take();
    if (items.items.empty()) return {};
    const OutboxEnvelope envelope{settings_.envelope_from, std::string(message.queue_id()),
                                  static_cast<std::int64_t>(std::time(nullptr))};
    if (role_ == sdk::Role::admin) {
      auto claimed = outbox_.put_claimed(envelope, items);
      if (!claimed) return claimed.error();
      return send_now(std::move(claimed).value());
    }
    if (role_ != sdk::Role::daemon) return {};
    auto queued = outbox_.put(envelope, items);
    if (!queued) return queued.error();
    sender_->wake();
    logger_->debug(message.queue_id(), std::to_string(items.items.size()) + " notification(s) queued as " + outbox_.dir() +
                                           "/" + queued.value());
    return {};
  }

 private:
  // The recipient's qmilter-web link; "" when qmilter-web is not set up or nothing was stored.
  sdk::Result<std::string> release_url(std::string_view quarantine_id, const std::string& recipient) const {
    if (!release_links_ || quarantine_id.empty()) return std::string();
    return release_links_->url(quarantine_id, recipient);
  }

  NotificationContent content_for(const MessageFacts& facts, const std::string& recipient,
                                  const std::string& release_url, bool image_replaced) const {
    const TemplateVariables variables(facts, recipient, release_url);
    NotificationContent content;
    content.html = settings_.body_template.render_around([&](std::string_view name) { return variables.html(name); },
                                                         html_text_variable);
    const auto text = [&](std::string_view name) { return variables.text(name); };
    content.subject = without_line_breaks(settings_.subject_template.render(text));
    content.from = without_line_breaks(settings_.from_template.render(text));
    content.to = recipient;
    content.fallback_address = settings_.envelope_from;
    content.replacement_image = image_replaced ? &settings_.replacement_image : nullptr;
    content.embedded_images = &settings_.embedded_images;
    return content;
  }

  // Admin role: deliver what notify() queued, now.
  sdk::Status send_now(ClaimedEntry entry) const {
    const std::string queue_id = entry.envelope().queue_id;
    const DeliveryResult result = deliver(outbox_, settings_.relay, std::move(entry), RetryPolicy{}.max_age);
    std::string errors;
    for (const RecipientResult& r : result.recipients) {
      switch (r.kind) {
        case RecipientResult::Kind::delivered:
          logger_->info(queue_id, "notification to <" + r.recipient + "> delivered: " + r.reason);
          break;
        case RecipientResult::Kind::retry:
          logger_->warning(queue_id, "notification to <" + r.recipient + "> deferred, left in " + outbox_.dir() +
                                         " for the daemon: " + r.reason);
          break;
        case RecipientResult::Kind::failed:
          errors += (errors.empty() ? "" : "; ") + std::string("notification to <") + r.recipient + "> refused: " + r.reason;
          break;
      }
    }
    if (!errors.empty()) return sdk::Error{errors};
    return {};
  }

  const EmailSettings settings_;
  const Outbox outbox_;
  const sdk::Role role_;
  sdk::Logger* const logger_;
  const sdk::ReleaseLinks* const release_links_;  // null without qmilter-web
  bool needs_preview_ = false;
  std::unique_ptr<OutboxSender> sender_;  // daemon role only; declared last, stopped first
};

}  // namespace
}  // namespace qmilter::notification_email

QMILTER_PLUGIN(qmilter::notification_email::EmailNotifier, "email", "1.0.0",
               "Notifies each quarantined recipient by HTML e-mail through a durable outbox")
