// make_options(): the Options a plugin's create() gets, built from its schema the way the
// host builds them from an INI section.
#include "qmilter/sdk/testing/options.hpp"

#include <gtest/gtest.h>

namespace qmilter::sdk::testing {
namespace {

std::vector<OptionSpec> schema() {
  return {
      {"example_directory", OptionType::path, true, "", "where"},
      {"example_limit", OptionType::integer, false, "25", "how many"},
      {"example_enabled", OptionType::boolean, false, "yes", "whether"},
      {"example_names", OptionType::list, false, "a, b,,c ", "who"},
      {"example_label", OptionType::string, false, "", "no default"},
  };
}

struct ExamplePlugin {
  static std::vector<OptionSpec> option_schema() { return schema(); }
};

TEST(MakeOptions, AppliesEveryDefaultWithItsType) {
  Options options = make_options(schema(), {{"example_directory", std::string("/var/q")}}, "spam");
  EXPECT_EQ(options.section(), "spam");
  EXPECT_EQ(options.string("example_directory"), "/var/q");
  EXPECT_EQ(options.integer("example_limit"), 25);
  EXPECT_TRUE(options.boolean("example_enabled"));
  EXPECT_EQ(options.list("example_names"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(options.has("example_label")) << "no default: absent, as from the host";
}

TEST(MakeOptions, TakesValuesTypedOrAsIniText) {
  Options options = make_options_for<ExamplePlugin>({{"example_directory", std::string("d")},
                                                     {"example_limit", std::int64_t{7}},
                                                     {"example_enabled", std::string("Off")},
                                                     {"example_names", std::string("x")}});
  EXPECT_EQ(options.integer("example_limit"), 7);
  EXPECT_FALSE(options.boolean("example_enabled"));
  EXPECT_EQ(options.list("example_names"), std::vector<std::string>{"x"});
  EXPECT_EQ(make_options(schema(), {{"example_directory", std::string("d")}, {"example_limit", std::string("-3")}})
                .integer("example_limit"),
            -3);
}

TEST(MakeOptions, RefusesWhatTheHostWouldRefuseNamingTheOption) {
  auto message = [](std::map<std::string, OptionValue> values) {
    try {
      make_options(schema(), std::move(values));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message({}).find("'example_directory': required"), std::string::npos) << message({});
  const OptionValue dir = std::string("d");
  EXPECT_NE(message({{"example_directory", dir}, {"example_limit", std::string("12x")}}).find("'example_limit'"),
            std::string::npos);
  EXPECT_NE(message({{"example_directory", dir}, {"example_enabled", std::string("maybe")}}).find("a boolean"),
            std::string::npos);
  EXPECT_NE(message({{"example_directory", dir}, {"example_limit", true}}).find("wrong type"), std::string::npos);
  EXPECT_NE(message({{"example_directory", dir}, {"exmaple_limit", std::int64_t{1}}}).find("'exmaple_limit': not in"),
            std::string::npos);
}

TEST(MakeOptions, ReadsModesPathListsBoundsAndChoicesLikeTheHost) {
  std::vector<OptionSpec> spec{
      {"example_mode", OptionType::octal_mode, false, "0640", "bits"},
      {"example_paths", OptionType::path_list, false, "a, b", "where"},
      {"example_count", OptionType::integer, false, "5", "how many", 1, 10},
      {"example_mode_name", OptionType::string, false, "First", "which", std::vector<std::string>{"first", "last"}},
  };
  Options options = make_options(spec);
  EXPECT_EQ(options.mode("example_mode"), 0640u);
  EXPECT_EQ(options.list("example_paths"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(options.string("example_mode_name"), "first");
  EXPECT_EQ(make_options(spec, {{"example_mode", std::string("0o600")}}).mode("example_mode"), 0600u);
  EXPECT_THROW(make_options(spec, {{"example_mode", std::string("0999")}}), std::invalid_argument);
  EXPECT_THROW(make_options(spec, {{"example_count", std::string("11")}}), std::invalid_argument);
  EXPECT_THROW(make_options(spec, {{"example_mode_name", std::string("middle")}}), std::invalid_argument);
}

TEST(MakeOptions, ADefaultThatDoesNotConvertIsAnError) {
  std::vector<OptionSpec> bad{{"example_limit", OptionType::integer, false, "lots", "how many"}};
  EXPECT_THROW(make_options(bad), std::invalid_argument);
}

// The kit converts with the host's own routine, so a refusal reads as the admin would see it.
TEST(ParseOptionText, GivesTheHostsReasons) {
  OptionSpec count{"example_count", OptionType::integer, false, "", "", 1, 10};
  EXPECT_EQ(parse_option_text(count, "11").error().message, "must be from 1 to 10");
  EXPECT_EQ(parse_option_text(count, "+7").value(), OptionValue{std::int64_t{7}});
  OptionSpec side{"example_side", OptionType::string, false, "", "", std::vector<std::string>{"left", "right"}};
  EXPECT_EQ(parse_option_text(side, "Left").value(), OptionValue{std::string("left")});
  EXPECT_EQ(parse_option_text(side, "up").error().message, "'up' is neither 'left' nor 'right'");
  OptionSpec mode{"example_mode", OptionType::octal_mode, false, "", ""};
  EXPECT_EQ(parse_option_text(mode, "0o640").value(), OptionValue{std::int64_t{0640}});
  OptionSpec dirs{"example_dirs", OptionType::path_list, false, "", ""};
  EXPECT_EQ(parse_option_text(dirs, " a, b ,,").value(), (OptionValue{std::vector<std::string>{"a", "b"}}));
  try {
    option_value_from_text(count, "x");
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "option 'example_count': 'x' is not an integer");
  }
}

}  // namespace
}  // namespace qmilter::sdk::testing
