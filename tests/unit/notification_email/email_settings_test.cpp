// What load rejects, and that every error names the option and the file.
#include "email_settings.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "qmilter/sdk/testing/fake_message.hpp"

namespace qmilter::notification_email {
namespace {

namespace fs = std::filesystem;

class EmailSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qmilter-email-settings-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    write("notification.template", "<p>{EMAIL_TO}</p>");
    write("removed.png", "\x89PNG\r\n\x1a\nrest");
    write("logo.gif", "GIF89a....");
    write("evil.svg", "<svg onload=alert(1)>");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& content) { std::ofstream(dir_ / name, std::ios::binary) << content; }

  std::map<std::string, sdk::OptionValue> base() const {
    return {{"notification_email_envelope_from", std::string("notify@example.org")},
            {"notification_email_from", std::string("Quarantine <notify@example.org>")},
            {"notification_email_subject", std::string("Quarantined: {EMAIL_SUBJECT}")},
            {"notification_email_template", (dir_ / "notification.template").string()},
            {"notification_email_replacement_img", std::string("removed.png")},
            {"notification_email_embedded_imgs", std::vector<std::string>{"logo.gif"}},
            {"notification_email_preview_max", std::int64_t{40 * 1024}},  // the schema's defaults
            {"notification_email_preview_text_max", std::int64_t{16 * 1024}}};
  }

  sdk::Result<EmailSettings> load(std::map<std::string, sdk::OptionValue> values, sdk::Role role = sdk::Role::daemon) {
    // The quarantine's relay reaches the plugin through its context, not as an option.
    sdk::PluginContext context{"spam", dir_.string(), (dir_ / "state").string(), role, &logger_, {"127.0.0.1", 2525}};
    return load_email_settings(sdk::Options("spam", std::move(values)), context);
  }

  std::string error(std::map<std::string, sdk::OptionValue> values) {
    auto loaded = load(std::move(values));
    return loaded.ok() ? "<loaded>" : loaded.error().message;
  }

  fs::path dir_;
  sdk::testing::CaptureLogger logger_;
};

TEST_F(EmailSettingsTest, LoadsEverythingAndCreatesTheOutbox) {
  auto loaded = load(base());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const EmailSettings& settings = loaded.value();
  EXPECT_TRUE(settings.has_replacement_image);
  EXPECT_EQ(settings.replacement_image.file_name, "removed_for_security_reasons");
  ASSERT_EQ(settings.embedded_images.size(), 1u);
  EXPECT_EQ(settings.embedded_images[0].file_name, "logo.gif");
  EXPECT_EQ(settings.embedded_images[0].content_type, "image/gif");
  EXPECT_EQ(settings.relay.port, 2525);
  EXPECT_EQ(settings.preview_max, 40u * 1024u);
  EXPECT_EQ(settings.preview_text_max, 16u * 1024u);
  EXPECT_EQ(settings.outbox_dir, (dir_ / "state" / "outbox" / "spam").string());
  EXPECT_TRUE(fs::is_directory(dir_ / "state" / "outbox" / "spam" / "failed"));
}

TEST_F(EmailSettingsTest, CheckRoleCreatesNothing) {
  ASSERT_TRUE(load(base(), sdk::Role::check).ok());
  EXPECT_FALSE(fs::exists(dir_ / "state"));
}

TEST_F(EmailSettingsTest, NotificationRelayOverridesTheQuarantineRelay) {
  auto values = base();
  values["notification_email_smtp_host"] = std::string("relay.example.org");
  values["notification_email_smtp_port"] = std::int64_t{587};
  auto loaded = load(values);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value().relay.host, "relay.example.org");
  EXPECT_EQ(loaded.value().relay.port, 587);
}

TEST_F(EmailSettingsTest, AnEmptyNotificationRelayMeansTheQuarantineRelay) {
  auto values = base();
  values["notification_email_smtp_host"] = std::string("");
  auto loaded = load(values);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value().relay.port, 2525);
  EXPECT_FALSE(loaded.value().relay.host.empty());
}

TEST_F(EmailSettingsTest, ErrorsNameTheOptionAndTheFile) {
  auto values = base();
  values["notification_email_template"] = (dir_ / "missing.template").string();
  EXPECT_EQ(error(values), "notification_email_template: " + (dir_ / "missing.template").string() +
                               ": cannot read: No such file or directory");

  write("bad.template", "<p>\n{EMAIL_TO</p>");
  values = base();
  values["notification_email_template"] = (dir_ / "bad.template").string();
  EXPECT_EQ(error(values), "notification_email_template: " + (dir_ / "bad.template").string() +
                               ": line 2, column 1: expected '}' before end of string");

  values = base();
  values["notification_email_subject"] = std::string("Quarantined }");
  EXPECT_EQ(error(values), "notification_email_subject: template: line 1, column 13: Single '}' encountered in format "
                           "string (write }} for a literal brace)");

  values = base();
  values["notification_email_embedded_imgs"] = std::vector<std::string>{"evil.svg"};
  EXPECT_EQ(error(values), "notification_email_embedded_imgs: " + (dir_ / "evil.svg").string() +
                               ": not a PNG, JPEG, GIF, BMP or WebP image");

  values = base();
  values["notification_email_replacement_img"] = std::string("nope.png");
  EXPECT_EQ(error(values), "notification_email_replacement_img: " + (dir_ / "nope.png").string() +
                               ": cannot read: No such file or directory");

  write("latin1.template", "Gr\xFC\xDF" "e");
  values = base();
  values["notification_email_template"] = (dir_ / "latin1.template").string();
  EXPECT_EQ(error(values), "notification_email_template: " + (dir_ / "latin1.template").string() + ": not valid UTF-8");
}

TEST_F(EmailSettingsTest, EmptyReplacementImageDisablesIt) {
  auto values = base();
  values["notification_email_replacement_img"] = std::string();
  auto loaded = load(values);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.value().has_replacement_image);
}

}  // namespace
}  // namespace qmilter::notification_email
