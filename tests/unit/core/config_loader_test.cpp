// The config loader against real INI files and the real plugins: every error names the
// file, the section and the option; defaults, overrides and paths behave as qmilter.conf(5) says.
#include <gtest/gtest.h>

#include "qmilter/sdk/testing/fake_message.hpp"

#include "core/config/config.hpp"
#include "core/config/config_error.hpp"
#include "core/config/option_values.hpp"
#include "test_files.hpp"

namespace qmilter::core {
namespace {

const std::string kQuarantine =
    "[spam]\nregex = ^X-Spam-Flag: YES\nquarantine_type = none\naction = discard\n"
    "notification_type = none\nwhitelist_type = none\nsmtp_host = 127.0.0.1\nsmtp_port = 25\n";
// kQuarantine with one option set to another value (in place) or added at the end (line 12).
std::string spam_with(const std::string& key, const std::string& value) {
  std::string section = kQuarantine;
  auto pos = section.find("\n" + key + " = ");
  if (pos == std::string::npos) return section + key + " = " + value + "\n";
  auto end = section.find('\n', pos + 1);
  return section.replace(pos + 1, end - pos - 1, key + " = " + value);
}

const std::string kGlobal = "[global]\nquarantines = spam\npreferred_quarantine_action = first\n";

class ConfigLoaderTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Config> load(const std::string& content) { return load_files({dir_.write("q.conf", content)}); }
  std::shared_ptr<const Config> load_files(std::vector<std::string> files) {
    return load_config(LoadRequest{std::move(files), sdk::Role::check, QMILTER_TEST_PLUGIN_DIR});
  }
  // The error text of a config that must be refused.
  std::string error_of(const std::string& content) {
    try {
      load(content);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "config was accepted:\n" << content;
    return {};
  }
  std::string file() const { return (dir_.path() / "q.conf").string(); }
  // Copies the test plugin `fixture` into the directory own/, which plugin_dir can name.
  void own_plugin(const std::string& fixture, const std::string& file_name) {
    std::filesystem::create_directories(dir_.path() / "own");
    std::filesystem::copy_file(QMILTER_TEST_FIXTURE_DIR "/" + fixture + ".so", dir_.path() / "own" / file_name);
  }
  // What the first quarantine's action answers: which file provides "discard" shows in it.
  static sdk::Verdict::Kind action_verdict(const Config& config) {
    sdk::testing::FakeMessage message;
    auto verdict = config.quarantines[0].action.instance->decide(message, "");
    EXPECT_TRUE(verdict.ok());
    return verdict.ok() ? verdict.value().kind : sdk::Verdict::Kind::tempfail;
  }

  test::ScratchDir dir_;
};

TEST_F(ConfigLoaderTest, LoadsAMinimalPyquarantineConfig) {
  auto config = load(kGlobal + kQuarantine);
  ASSERT_EQ(config->quarantines.size(), 1u);
  const Quarantine& q = config->quarantines[0];
  EXPECT_EQ(q.name, "spam");
  EXPECT_EQ(q.store.plugin_name, "none");
  EXPECT_EQ(q.action.plugin_name, "discard");
  EXPECT_EQ(q.smtp_port, 25);
  EXPECT_EQ(config->preference, Preference::first);
  EXPECT_TRUE(config->warnings.empty());
}

TEST_F(ConfigLoaderTest, GlobalOptionsAreDefaultsForEveryQuarantine) {
  auto config = load(
      "[global]\nquarantines = a, b\npreferred_quarantine_action = LAST\nsmtp_host = mx\nsmtp_port = 2525\n"
      "quarantine_type = NONE\nnotification_type = none\nwhitelist_type = none\naction = accept\n"
      "[a]\nregex = x\n[b]\nregex = y\naction = REJECT\nsmtp_port = 26\n");
  ASSERT_EQ(config->quarantines.size(), 2u);
  EXPECT_EQ(config->preference, Preference::last);
  EXPECT_EQ(config->quarantines[0].smtp_host, "mx");
  EXPECT_EQ(config->quarantines[0].smtp_port, 2525);
  EXPECT_EQ(config->quarantines[0].action.plugin_name, "accept");
  EXPECT_EQ(config->quarantines[1].smtp_port, 26);
  EXPECT_EQ(config->quarantines[1].action.plugin_name, "reject");
}

TEST_F(ConfigLoaderTest, AcceptsPyquarantinesMisspeltPreferenceKey) {
  auto config = load("[global]\nquarantines = spam\npreferred_quarantin_action = last\n" + kQuarantine);
  EXPECT_EQ(config->preference, Preference::last);
}

TEST_F(ConfigLoaderTest, KeysAreCaseInsensitive) {
  auto config = load("[global]\nQuarantines = spam\nPreferred_Quarantine_Action = first\n" + kQuarantine);
  EXPECT_EQ(config->quarantines.size(), 1u);
}

TEST_F(ConfigLoaderTest, LaterFilesOverrideEarlierKeys) {
  std::string first = dir_.write("a.conf", kGlobal + kQuarantine);
  std::string second = dir_.write("b.conf", "[spam]\naction = reject\n");
  auto config = load_files({first, second});
  EXPECT_EQ(config->quarantines[0].action.plugin_name, "reject");
}

TEST_F(ConfigLoaderTest, RelativePathsAreRelativeToTheLastConfigFile) {
  std::string plugin = std::string(QMILTER_TEST_PLUGIN_DIR) + "/action_reject.so";
  std::filesystem::create_directories(dir_.path() / "sub");
  std::filesystem::copy_file(plugin, dir_.path() / "sub" / "my_action.so");
  auto config = load(kGlobal + spam_with("action", "./sub/my_action.so"));
  EXPECT_EQ(config->quarantines[0].action.plugin_name, "reject");
  EXPECT_EQ(config->quarantines[0].action.type, "./sub/my_action.so");
}

TEST_F(ConfigLoaderTest, PythonInterpolationIsKept) {
  auto config = load(kGlobal +
                     "[spam]\nscore = 5\nregex = ^X-Spam-Score: %(score)s%%\nquarantine_type = none\naction = discard\n"
                     "notification_type = none\nwhitelist_type = none\nsmtp_host = h\nsmtp_port = 25\n");
  EXPECT_EQ(config->quarantines[0].regex.pattern(), "^X-Spam-Score: 5%");
}

TEST_F(ConfigLoaderTest, UnknownOptionsAreWarningsNamingFileAndLine) {
  auto config = load(kGlobal + spam_with("some_future_option", "1"));
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_EQ(config->warnings[0], file() + ":12: [spam] some_future_option: unknown option (ignored)");
}

TEST_F(ConfigLoaderTest, GlobalInTheListIsDroppedWithAWarning) {
  auto config = load("[global]\nquarantines = global, spam\npreferred_quarantine_action = first\n" + kQuarantine);
  EXPECT_EQ(config->quarantines.size(), 1u);
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_NE(config->warnings[0].find("'global' is not a quarantine"), std::string::npos);
}

TEST_F(ConfigLoaderTest, MissingFileIsNamed) {
  try {
    load_files({(dir_.path() / "nope.conf").string()});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), (dir_.path() / "nope.conf").string() + ": config file not found");
  }
}

// Each refused config and the exact error it must give (%F is the file).
struct Refusal {
  const char* name;
  std::string content;
  std::string expected;
};

class ConfigRefusalTest : public ConfigLoaderTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(ConfigRefusalTest, NamesFileSectionOptionAndReason) {
  std::string expected = GetParam().expected;
  for (auto pos = expected.find("%F"); pos != std::string::npos; pos = expected.find("%F")) {
    expected.replace(pos, 2, file());
  }
  for (auto pos = expected.find("%D"); pos != std::string::npos; pos = expected.find("%D")) {
    expected.replace(pos, 2, dir_.path().string());
  }
  EXPECT_EQ(error_of(GetParam().content), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ConfigRefusalTest,
    ::testing::Values(
        Refusal{"SyntaxError", "[global\nx = 1\n", "%F:1: unmatched '['"},
        Refusal{"DuplicateKey", kGlobal + kQuarantine + "action = reject\n",
                "%F:12: [spam] action: option set twice in one file"},
        Refusal{"NoGlobal", kQuarantine, "%F: section [global] missing"},
        Refusal{"NoQuarantines", "[global]\npreferred_quarantine_action = first\n" + kQuarantine,
                "%F: [global] quarantines: mandatory option missing (Comma-separated list of the active "
                "quarantines, in precedence order)"},
        Refusal{"EmptyQuarantines", "[global]\nquarantines = ,\npreferred_quarantine_action = first\n",
                "%F:2: [global] quarantines: no active quarantine listed"},
        Refusal{"DuplicateQuarantine", "[global]\nquarantines = spam, spam\npreferred_quarantine_action = first\n" + kQuarantine,
                "%F:2: [global] quarantines: quarantine 'spam' listed twice"},
        Refusal{"QuarantineWithoutSection", "[global]\nquarantines = spam, virus\npreferred_quarantine_action = first\n" + kQuarantine,
                "%F:2: [global] quarantines: no section [virus] for quarantine 'virus'"},
        Refusal{"NoPreference", "[global]\nquarantines = spam\n" + kQuarantine,
                "%F: [global] preferred_quarantine_action: mandatory option missing (first or last)"},
        Refusal{"BadPreference", "[global]\nquarantines = spam\npreferred_quarantine_action = middle\n" + kQuarantine,
                "%F:3: [global] preferred_quarantine_action: 'middle' is neither 'first' nor 'last'"},
        Refusal{"MissingRegex", kGlobal + "[spam]\nquarantine_type = none\n",
                "%F: [spam] regex: mandatory option missing (Regular expression in Python syntax, searched in "
                "\"Name: value\" of each header)"},
        Refusal{"BadRegex", kGlobal + spam_with("regex", "(unclosed"),
                "%F:5: [spam] regex: invalid regex at offset 9: missing closing parenthesis"},
        Refusal{"BadIgnoreHosts", kGlobal + spam_with("ignore_hosts", "10.0.0.0/8, not-an-ip"),
                "%F:12: [spam] ignore_hosts: 'not-an-ip' is not an IPv4 or IPv6 address or network"},
        Refusal{"BadPrefix", kGlobal + spam_with("ignore_hosts", "10.0.0.0/33"),
                "%F:12: [spam] ignore_hosts: '10.0.0.0/33' has a prefix longer than 32"},
        Refusal{"PortNotANumber", kGlobal + spam_with("smtp_port", "twenty-five"),
                "%F:11: [spam] smtp_port: 'twenty-five' is not an integer"},
        Refusal{"PortOutOfRange", kGlobal + spam_with("smtp_port", "70000"),
                "%F:11: [spam] smtp_port: must be from 1 to 65535"},
        Refusal{"EmptyMandatory", kGlobal + spam_with("smtp_host", ""),
                "%F:10: [spam] smtp_host: must not be empty"},
        Refusal{"LonePercent", kGlobal + spam_with("regex", "100%"),
                "%F:5: [spam] regex: '%' must be followed by '%' or '(' (write %% for a literal %), as in pyquarantine's "
                "configparser"},
        Refusal{"BadSocketMode", kGlobal + "socket_mode = 0999\n" + kQuarantine,
                "%F:4: [global] socket_mode: '0999' is not an octal mode"},
        Refusal{"PluginPathMissing", kGlobal + spam_with("action", "./missing.so"),
                "%F:7: [spam] action: %D/missing.so: cannot open plugin: No such file or directory"}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

// How the INI text itself is read: keys compared without case, text that is no INI.
INSTANTIATE_TEST_SUITE_P(
    Reading, ConfigRefusalTest,
    ::testing::Values(
        Refusal{"DuplicateKeyInAnotherCase", kGlobal + kQuarantine + "Action = reject\n",
                "%F:12: [spam] action: option set twice in one file"},
        Refusal{"NulByte", kGlobal + spam_with("regex", std::string("a\0b", 3)), "%F:5: contains a NUL byte (a config file is text)"},
        Refusal{"InterpolationTooDeep", kGlobal + spam_with("regex", "%(regex)s"),
                "%F:5: [spam] regex: %(...)s interpolation nested more than 10 levels deep (do the options refer to "
                "each other?)"}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

TEST_F(ConfigLoaderTest, AByteOrderMarkBeforeTheFirstSectionIsIgnored) {
  auto config = load("\xEF\xBB\xBF" + kGlobal + kQuarantine);
  EXPECT_EQ(config->quarantines.size(), 1u);
}

TEST_F(ConfigLoaderTest, UnknownPluginErrorListsTheAvailableOnes) {
  std::string storage_error = error_of(kGlobal + spam_with("quarantine_type", "tape"));
  EXPECT_EQ(storage_error.rfind(file() + ":6: [spam] quarantine_type: no quarantine plugin named 'tape' in " +
                                    QMILTER_TEST_PLUGIN_DIR " (available: ",
                                0),
            0u)
      << storage_error;
  std::string error = error_of(kGlobal + spam_with("action", "bounce"));
  EXPECT_NE(error.find("no action plugin named 'bounce'"), std::string::npos) << error;
  EXPECT_NE(error.find("accept, discard, hold, reject, tag, tempfail"), std::string::npos) << error;
}

TEST_F(ConfigLoaderTest, PluginOfTheWrongKindIsRefused) {
  std::string error = error_of(kGlobal + spam_with("quarantine_type", QMILTER_TEST_PLUGIN_DIR "/action_discard.so"));
  EXPECT_NE(error.find("[spam] quarantine_type: "), std::string::npos) << error;
  EXPECT_NE(error.find("is a action plugin, not a quarantine plugin"), std::string::npos) << error;
}

TEST_F(ConfigLoaderTest, PluginWithAnotherAbiIsRefusedNamingFileAndVersions) {
  std::string error = error_of(kGlobal + spam_with("action", QMILTER_TEST_FIXTURE_DIR "/test_plugin_wrong_abi.so"));
  std::string expected = QMILTER_TEST_FIXTURE_DIR "/test_plugin_wrong_abi.so: plugin built for SDK ABI " +
                         std::to_string(QMILTER_SDK_ABI_MAJOR + 1) + ".0, this qmilter has ABI " +
                         std::to_string(QMILTER_SDK_ABI_MAJOR) + "." + std::to_string(QMILTER_SDK_ABI_MINOR);
  EXPECT_NE(error.find(expected), std::string::npos) << error;
}

// A schema mistake is the plugin author's: the error names the plugin file and the option.
TEST_F(ConfigLoaderTest, EachOptionSchemaMistakeIsRefusedNamingPluginFileAndOption) {
  const std::pair<const char*, const char*> cases[] = {
      {"upper_case_name", "option 'Fixture_Reason': a name is lower-case letters, digits and '_'"},
      {"unknown_type", "option 'fixture_reason': unknown option type 42"},
      {"unparsable_default", "option 'fixture_count': default 'many' is not an integer"},
      {"throws", "option_schema() threw: schema table not ready"},
      {"core_option", "option 'smtp_host' is one of qmilter's own options"},
  };
  for (const auto& [mistake, reason] : cases) {
    std::string plugin = std::string(QMILTER_TEST_FIXTURE_DIR "/test_plugin_schema_") + mistake + ".so";
    std::string error = error_of(kGlobal + spam_with("action", plugin));
    EXPECT_NE(error.find(file() + ":7: [spam] action: "), std::string::npos) << error;
    EXPECT_NE(error.find(plugin), std::string::npos) << error;
    EXPECT_NE(error.find(reason), std::string::npos) << error;
  }
}

// The mistakes a schema can make on its own, one entry each, straight against the check the
// loader runs (the fixture plugins above show that its findings reach the admin).
TEST(SchemaMistakes, EachMistakeIsNamedWithItsOption) {
  using sdk::OptionSpec;
  using sdk::OptionType;
  const std::pair<std::vector<OptionSpec>, const char*> cases[] = {
      {{{"limit", OptionType::string, false, "", "bounded text", 1, 9}}, "option 'limit': min/max on a non-integer option"},
      {{{"limit", OptionType::integer, false, "", "upside down", 9, 1}}, "option 'limit': min is greater than max"},
      {{{"mode", OptionType::integer, false, "", "picky", std::vector<std::string>{"a", "b"}}},
       "option 'mode': choices on a non-string option"},
      {{{"twice", OptionType::string, false, "", "one"}, {"twice", OptionType::string, false, "", "two"}},
       "option 'twice': declared twice"},
      {{{"needed", OptionType::string, true, "x", "required yet defaulted"}},
       "option 'needed': a required option cannot have a default"},
      {{{"limit", OptionType::integer, false, "10", "default too big", 1, 9}}, "option 'limit': default "},
      {{{"mode", OptionType::string, false, "c", "default not a choice", std::vector<std::string>{"a", "b"}}},
       "option 'mode': default "},
  };
  for (const auto& [schema, reason] : cases) {
    auto mistakes = schema_mistakes(schema);
    ASSERT_EQ(mistakes.size(), 1u) << reason;
    EXPECT_EQ(mistakes[0].rfind(reason, 0), 0u) << mistakes[0];
  }
  EXPECT_TRUE(schema_mistakes({{"fine", OptionType::integer, false, "5", "in range", 1, 9}}).empty());
}

TEST_F(ConfigLoaderTest, TwoPluginsDeclaringOneOptionDifferentlyAreRefused) {
  std::string a = QMILTER_TEST_FIXTURE_DIR "/test_plugin_schema_level_integer.so";
  std::string b = QMILTER_TEST_FIXTURE_DIR "/test_plugin_schema_level_string.so";
  std::string second = spam_with("action", b);
  second.replace(0, 6, "[ham]");
  std::string error = error_of("[global]\nquarantines = spam, ham\npreferred_quarantine_action = first\n" +
                               spam_with("action", a) + second);
  EXPECT_NE(error.find("option 'fixture_level' is declared differently by"), std::string::npos) << error;
  EXPECT_NE(error.find(a), std::string::npos) << error;
  EXPECT_NE(error.find(b), std::string::npos) << error;
}

// The failing instance is named even when the plugin type comes from [global].
TEST_F(ConfigLoaderTest, CreateErrorNamesTheQuarantineNotTheGlobalLine) {
  std::string section = kQuarantine;
  section.erase(section.find("quarantine_type = none\n"), std::string("quarantine_type = none\n").size());
  std::string error = error_of(kGlobal + "quarantine_type = file\n" + section + "quarantine_directory = missing\n");
  EXPECT_EQ(error.rfind(file() + ": [spam] quarantine_type (from [global]): quarantine plugin 'file' (", 0), 0u) << error;
  EXPECT_NE(error.find("quarantine_directory: '" + (dir_.path() / "missing").string() + "' does not exist"),
            std::string::npos)
      << error;
}

TEST_F(ConfigLoaderTest, AdminPluginDirIsSearchedBeforeTheBuiltInPlugins) {
  own_plugin("test_plugin_schema_twin", "twin.so");
  auto config = load(kGlobal + "plugin_dir = own\n" + spam_with("action", "twin"));
  EXPECT_EQ(config->quarantines[0].action.plugin_name, "twin");
  EXPECT_EQ(config->quarantines[0].store.plugin_name, "none");  // still found among the built-in plugins
}

// The admin's plugin_dir comes first even when the built-in plugins hold the conventional
// file name (action_discard.so) and the admin's file is named otherwise.
TEST_F(ConfigLoaderTest, AnAdminPluginWinsOverTheBuiltInOneOfTheSameName) {
  own_plugin("test_plugin_own_discard", "mine.so");
  auto config = load(kGlobal + "plugin_dir = own\n" + spam_with("action", "discard"));
  EXPECT_EQ(action_verdict(*config), sdk::Verdict::Kind::accept) << "the built-in discard was loaded";
}

// A refused file is no candidate: the loader takes the first usable file of the name, and
// the duplicate warning names that file, as qmilter -l does.
TEST_F(ConfigLoaderTest, ARefusedFileEarlierInTheSearchPathShadowsNoUsableOne) {
  own_plugin("test_plugin_refused_discard", "a_refused.so");
  own_plugin("test_plugin_own_discard", "b_mine.so");
  auto config = load(kGlobal + "plugin_dir = own\n" + spam_with("action", "discard"));
  EXPECT_EQ(action_verdict(*config), sdk::Verdict::Kind::accept) << "not the admin's usable discard";
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_NE(config->warnings[0].find("action_discard.so: action plugin 'discard' is also declared by "),
            std::string::npos)
      << config->warnings[0];
  EXPECT_NE(config->warnings[0].find("b_mine.so, which is used"), std::string::npos) << config->warnings[0];
}

// With no usable file of the name, the refusal is the answer, not "no such plugin".
TEST_F(ConfigLoaderTest, ARefusedFileOfTheNameIsTheReasonWhenNoUsableOneExists) {
  own_plugin("test_plugin_schema_upper_case_name", "mistake.so");
  std::string error = error_of(kGlobal + "plugin_dir = own\n" + spam_with("action", "schema_mistake"));
  EXPECT_NE(error.find("mistake.so: bad option schema: option 'Fixture_Reason'"), std::string::npos) << error;
}

TEST_F(ConfigLoaderTest, TwoFilesDeclaringOneKindAndNameAreAWarningOfTheCheck) {
  own_plugin("test_plugin_schema_twin", "a.so");
  own_plugin("test_plugin_schema_twin_copy", "b.so");
  auto config = load(kGlobal + "plugin_dir = own\n" + kQuarantine);
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_NE(config->warnings[0].find("b.so: action plugin 'twin' is also declared by "), std::string::npos)
      << config->warnings[0];
  EXPECT_NE(config->warnings[0].find("a.so"), std::string::npos) << config->warnings[0];
}

}  // namespace
}  // namespace qmilter::core
