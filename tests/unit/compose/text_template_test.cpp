// Python str.format_map semantics, checked against what CPython answers for the same input.
#include "core/compose/text_template.hpp"

#include <gtest/gtest.h>

#include <map>

namespace qmilter::compose {
namespace {

std::string render(std::string_view text, const std::map<std::string, std::string, std::less<>>& values = {{"A", "xy"}}) {
  auto parsed = TextTemplate::parse(text);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) return "<parse error>";
  return parsed.value().render([&](std::string_view name) {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  });
}

std::string error_of(std::string_view text) {
  auto parsed = TextTemplate::parse(text);
  return parsed.ok() ? std::string("<accepted>") : parsed.error().message;
}

TEST(TextTemplate, ReplacesKnownNamesAndRendersUnknownOnesEmpty) {
  EXPECT_EQ(render("Hi {A}, {UNKNOWN}!"), "Hi xy, !");
  EXPECT_EQ(render("{ A }"), "");  // a different name, as in Python
  EXPECT_EQ(render("{ü}"), "");
}

TEST(TextTemplate, RenderAroundCutsAtEachPlainFieldOfTheName) {
  auto parsed = TextTemplate::parse("<p>{A}</p>{P}<hr>{P:.2}{P}");
  ASSERT_TRUE(parsed.ok());
  const auto pieces = parsed.value().render_around(
      [](std::string_view name) { return name == "A" ? std::string("xy") : std::string("preview"); }, "P");
  // {P:.2} has a format spec: rendered in place, not cut at.
  EXPECT_EQ(pieces, (std::vector<std::string>{"<p>xy</p>", "<hr>pr", ""}));
}

TEST(TextTemplate, DoubledBracesAreLiteral) {
  EXPECT_EQ(render("{{A}}"), "{A}");
  EXPECT_EQ(render("{A}}}"), "xy}");
  EXPECT_EQ(render("a {{ b }} c"), "a { b } c");
  EXPECT_EQ(render("body {{ color: red; }}"), "body { color: red; }");
}

TEST(TextTemplate, FormatSpecsWorkAsInPython) {
  EXPECT_EQ(render("{A:>5}"), "   xy");
  EXPECT_EQ(render("{A:5}|"), "xy   |");
  EXPECT_EQ(render("{A:^7}|"), "  xy   |");
  EXPECT_EQ(render("{A:*<4}|"), "xy**|");
  EXPECT_EQ(render("{A:.1}|"), "x|");
  EXPECT_EQ(render("{A:05}|"), "xy000|");
  EXPECT_EQ(render("{A:>05}|"), "000xy|");
  EXPECT_EQ(render("{A:s}{A!s}{A:}"), "xyxyxy");
  EXPECT_EQ(render("{A:→>4}", {{"A", "äb"}}), "→→äb");  // width counts characters, not bytes
}

TEST(TextTemplate, MalformedTemplatesAreErrorsWithPosition) {
  EXPECT_EQ(error_of("}"), "line 1, column 1: Single '}' encountered in format string (write }} for a literal brace)");
  EXPECT_EQ(error_of("ab\n{"), "line 2, column 1: Single '{' encountered in format string (write {{ for a literal brace)");
  EXPECT_EQ(error_of("x {A"), "line 1, column 3: expected '}' before end of string");
  EXPECT_EQ(error_of("{}"), "line 1, column 1: Format string contains positional fields");
  EXPECT_EQ(error_of("{0}"), "line 1, column 1: Format string contains positional fields");
  EXPECT_EQ(error_of("{A:=5}"), "line 1, column 1: '=' alignment not allowed in string format specifier");
  EXPECT_EQ(error_of("{A:+}"), "line 1, column 1: Sign not allowed in string format specifier");
  EXPECT_EQ(error_of("{A:d}"), "line 1, column 1: Unknown format code 'd' for object of type 'str'");
  EXPECT_EQ(error_of("{A!x}"), "line 1, column 1: Unknown conversion specifier x");
  EXPECT_EQ(error_of("{A!r}"), "line 1, column 1: conversion !r is not supported");
  EXPECT_EQ(error_of("{A.upper}"), "line 1, column 1: attribute or index access in '{A.upper}' is not supported");
  EXPECT_EQ(error_of("{A:{B}}"), "line 1, column 1: nested replacement fields are not supported");
}

TEST(TextTemplate, KnowsWhichVariablesItUses) {
  auto parsed = TextTemplate::parse("{EMAIL_TO} {{EMAIL_HTML_TEXT}}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.value().references("EMAIL_TO"));
  EXPECT_FALSE(parsed.value().references("EMAIL_HTML_TEXT"));
}

TEST(TextTemplate, SubstitutedTextIsNotReinterpreted) {
  EXPECT_EQ(render("{A}", {{"A", "{B} }}"}, {"B", "no"}}), "{B} }}");
}

}  // namespace
}  // namespace qmilter::compose
