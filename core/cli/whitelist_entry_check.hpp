// What `qmilterctl whitelist add` accepts as a sender or recipient: "" (anyone), @domain or
// an address, in the pattern pyquarantine checked, at most as long as the table's column.
// A single linear pass: a backtracking regex overflowed the stack on long input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qmilter::cli {

// The whitelist table's mailfrom and recipient columns are VARCHAR(255).
inline constexpr std::size_t max_whitelist_entry_length = 255;

// Why `value` (already lower-cased) is not a valid whitelist entry, or nullopt when it is.
std::optional<std::string> whitelist_entry_problem(std::string_view value);

}  // namespace qmilter::cli
