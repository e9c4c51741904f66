// Finding the word CLI11 left over where a command was expected.
#include "core/cli/unknown_command.hpp"

namespace qmilter::cli {

std::optional<std::string> unknown_command(const CLI::App& root) {
  const CLI::App* reached = &root;
  std::string path;
  while (!reached->get_subcommands().empty()) {
    reached = reached->get_subcommands().front();
    path += reached->get_name() + " ";
  }
  auto commands = reached->get_subcommands([](const CLI::App* command) { return !command->get_name().empty(); });
  std::vector<std::string> left_over = reached->remaining(false);
  if (commands.empty() || left_over.empty()) return std::nullopt;
  std::string known;
  for (const CLI::App* command : commands) known += (known.empty() ? "" : ", ") + command->get_name();
  return "unknown " + path + "command '" + left_over.front() + "' (commands: " + known + ")";
}

}  // namespace qmilter::cli
