// Python configparser's %-interpolation, which pyquarantine configs were written against.
#include <gtest/gtest.h>

#include "core/config/config_error.hpp"
#include "core/config/ini_file.hpp"
#include "core/config/option_values.hpp"

namespace qmilter::core {
namespace {

std::map<std::string, IniValue> section(std::map<std::string, std::string> values) {
  std::map<std::string, IniValue> out;
  for (auto& [k, v] : values) out[k] = IniValue{v, "f", 1, k};
  return out;
}

TEST(Interpolation, DoublePercentIsALiteralPercent) { EXPECT_EQ(interpolate("100%%", {}), "100%"); }

TEST(Interpolation, ReferencesOtherKeysOfTheSection) {
  EXPECT_EQ(interpolate("%(a)s-%(B)s", section({{"a", "x"}, {"b", "%(a)s"}})), "x-x");
}

TEST(Interpolation, LonePercentAndUnknownKeysAreErrors) {
  EXPECT_THROW(interpolate("5%", {}), ConfigError);
  EXPECT_THROW(interpolate("%(missing)s", {}), ConfigError);
  EXPECT_THROW(interpolate("%(a)s", section({{"a", "%(a)s"}})), ConfigError);
}

TEST(Interpolation, NestingPastTheDepthLimitIsAnError) {
  std::map<std::string, std::string> chain{{"k0", "end"}};
  for (int level = 1; level <= max_interpolation_depth + 1; ++level) {
    chain["k" + std::to_string(level)] = "%(k" + std::to_string(level - 1) + ")s";
  }
  EXPECT_EQ(interpolate("%(k" + std::to_string(max_interpolation_depth) + ")s", section(chain)), "end");
  EXPECT_THROW(interpolate("%(k" + std::to_string(max_interpolation_depth + 1) + ")s", section(chain)), ConfigError);
}

// Each level refers to the one below `fan_out` times: fan_out^9 references in all.
std::map<std::string, IniValue> bomb(const std::string& bottom, int fan_out) {
  std::map<std::string, std::string> values{{"b0", bottom}};
  for (int level = 1; level < 10; ++level) {
    std::string text;
    for (int i = 0; i < fan_out; ++i) text += "%(b" + std::to_string(level - 1) + ")s";
    values["b" + std::to_string(level)] = text;
  }
  return section(values);
}

TEST(Interpolation, AnExpansionBombStopsAtTheWorkLimit) {
  EXPECT_THROW(interpolate("%(b9)s", bomb("xxxxxxxxxx", 10)), ConfigError);  // 10^10 characters
  EXPECT_THROW(interpolate("%(b9)s", bomb("", 30)), ConfigError);            // 30^9 empty references
}

TEST(Interpolation, LargeButBoundedExpansionsStillWork) {
  const std::string big(max_interpolation_work / 4, 'x');
  EXPECT_EQ(interpolate("%(a)s%(a)s", section({{"a", big}})), big + big);
}

TEST(OptionValues, ListsAreTrimmedAndDropEmptyItems) {
  EXPECT_EQ(split_list(" a , b,,c , "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_list("").empty());
}

TEST(OptionValues, TypesAreChecked) {
  sdk::OptionSpec integer{"n", sdk::OptionType::integer, false, "", ""};
  sdk::OptionSpec boolean{"b", sdk::OptionType::boolean, false, "", ""};
  sdk::OptionSpec path{"p", sdk::OptionType::path, false, "", ""};
  EXPECT_EQ(std::get<std::int64_t>(convert_option(integer, "-12", "/d")), -12);
  EXPECT_THROW(convert_option(integer, "12x", "/d"), ConfigError);
  EXPECT_THROW(convert_option(integer, "99999999999999999999", "/d"), ConfigError);
  EXPECT_TRUE(std::get<bool>(convert_option(boolean, "Yes", "/d")));
  EXPECT_FALSE(std::get<bool>(convert_option(boolean, "off", "/d")));
  EXPECT_THROW(convert_option(boolean, "maybe", "/d"), ConfigError);
  EXPECT_EQ(std::get<std::string>(convert_option(path, "x/../y", "/etc/q")), "/etc/q/y");
  EXPECT_EQ(std::get<std::string>(convert_option(path, "/abs", "/etc/q")), "/abs");
}

}  // namespace
}  // namespace qmilter::core
