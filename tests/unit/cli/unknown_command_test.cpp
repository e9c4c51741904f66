// Naming the word given where a command was expected, at any level of the command tree.
#include "core/cli/unknown_command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qmilter::cli {
namespace {

// A tree like qmilterctl's: list, and quarantine NAME {list, purge}.
struct Tree {
  Tree() {
    app.require_subcommand(1);
    app.add_subcommand("list", "");
    CLI::App* quarantine = app.add_subcommand("quarantine", "");
    quarantine->add_option("name", name)->required();
    quarantine->require_subcommand(1);
    quarantine->add_subcommand("list", "");
    quarantine->add_subcommand("purge", "");
  }
  // The unknown-command message after parsing `words`, or "" when there is none.
  std::string parse(std::vector<std::string> words) {
    std::vector<std::string> reversed(words.rbegin(), words.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError&) {
      return unknown_command(app).value_or("");
    }
    return "(parsed)";
  }
  CLI::App app;
  std::string name;
};

TEST(UnknownCommand, NamesTheWordAndTheCommandsThere) {
  EXPECT_EQ(Tree().parse({"frobnicate"}), "unknown command 'frobnicate' (commands: list, quarantine)");
  EXPECT_EQ(Tree().parse({"quarantine", "spam", "frob"}), "unknown quarantine command 'frob' (commands: list, purge)");
}

TEST(UnknownCommand, OtherErrorsAreLeftToCLI11) {
  EXPECT_EQ(Tree().parse({}), "");
  EXPECT_EQ(Tree().parse({"quarantine"}), "");
  EXPECT_EQ(Tree().parse({"quarantine", "spam"}), "");
  EXPECT_EQ(Tree().parse({"list"}), "(parsed)");
}

}  // namespace
}  // namespace qmilter::cli
