#include "core/rules/regex_probe.hpp"

#include <chrono>
#include <utility>
#include <vector>

namespace qmilter::core {
namespace {

// Headers that real mail carries in some form, each a few KB: where exponential patterns
// show it, while an ordinary verdict pattern finishes at once.
std::vector<std::pair<std::string, std::string>> probe_headers() {
  std::string report = "X-Spam-Report: Content analysis details:   (6.1 points, 5.0 required)";
  for (int i = 0; i < 30; ++i) report += "\n\t*  0.0 URIBL_BLOCKED ADMINISTRATOR NOTICE: The query to URIBL was 1.9";
  std::string words = "Subject:";
  for (int i = 0; i < 300; ++i) words += " hello world";
  return {
      {"a folded 30-line spam report", report},
      {"4,000 repeated letters", "Subject: " + std::string(4000, 'a') + "!"},
      {"600 words", words + "!"},
  };
}

}  // namespace

std::optional<std::string> catastrophic_backtracking(const Regex& regex) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (const auto& [description, header] : probe_headers()) {
    auto searched = regex.search(header, deadline);
    if (!searched.ok()) return description + " (" + searched.error().message + ")";
    if (searched.value().by_dfa) return description;
  }
  return std::nullopt;
}

}  // namespace qmilter::core
