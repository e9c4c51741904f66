// Python configparser's %-interpolation, which pyquarantine configs were written against.
#include <gtest/gtest.h>

#include "core/config/config_error.hpp"
#include "core/config/ini_file.hpp"
#include "core/config/option_values.hpp"

namespace qmilter::core {
namespace {

std::map<std::string, IniValue> section(std::map<std::string, std::string> values) {
  std::map<std::string, IniValue> out;
  for (auto& [k, v] : values) out[k] = IniValue{v, "f", 1};
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
