// qmilterctl's range checks, as CLI11 validators (an empty string means the value is fine).
#include "core/cli/option_checks.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace qmilter::cli {

namespace {

// The whole string as a decimal integer, or nullopt (also when it does not fit).
std::optional<std::int64_t> whole_number(const std::string& text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace

CLI::Validator age_in_days() {
  const std::string range = "0 to " + std::to_string(max_age_days);
  return CLI::Validator(
      [range](std::string& text) -> std::string {
        auto days = whole_number(text);
        if (!days || *days < 0 || *days > max_age_days) return "'" + text + "' is not a number of days from " + range;
        return {};
      },
      "DAYS in " + range, "DAYS");
}

CLI::Validator entry_id() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto id = whole_number(text);
        if (!id || *id < 1) return "'" + text + "' is not a whitelist entry id (a whole number from 1 up)";
        return {};
      },
      "ID >= 1", "ENTRY_ID");
}

}  // namespace qmilter::cli
