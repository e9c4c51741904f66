// A quarantine's header regex: Python syntax (named groups `(?P<name>...)`), compiled once
// at load with PCRE2 (JIT when available) and the flags the Python filter used:
// IGNORECASE | MULTILINE | DOTALL, unanchored search. Immutable and shareable by threads;
// each thread keeps its own match buffer, match context and (when needed) JIT stack.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::core {

class RegexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How much work one search may cost before PCRE2 gives up (and the search is an error).
// The defaults decide every header of real mail; they stop catastrophic backtracking.
struct RegexLimits {
  std::uint32_t match_limit = 1'000'000;  // backtracking steps (JIT and interpreter)
  std::uint32_t depth_limit = 1'000'000;  // backtracking depth (interpreter only)
};

// What one search found. A pattern whose backtracking outgrows the limits is decided by
// PCRE2's DFA matcher instead, which finds whether it matches but not its groups.
struct RegexSearch {
  std::optional<sdk::Match> match;  // nullopt: no match
  bool by_dfa = false;              // backtracking gave up; a match has every group unset
};

class Regex {
 public:
  Regex() = default;
  // Throws RegexError naming the offset and PCRE2's reason.
  explicit Regex(const std::string& python_pattern, RegexLimits limits = {});

  const std::string& pattern() const noexcept { return pattern_; }
  const RegexLimits& limits() const noexcept { return limits_; }

  // The first match in subject with its groups as Python's groups()/groupdict() would give
  // them, or no match; an Error with PCRE2's reason when neither matcher could decide, or
  // when `deadline` passed during the search (checked at every start position).
  sdk::Result<RegexSearch> search(
      std::string_view subject,
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) const;
  // subject as a match whose groups are all unset (Python's None).
  sdk::Match match_without_groups(std::string_view subject) const;

 private:
  struct Compiled;
  std::string pattern_;
  RegexLimits limits_;
  std::shared_ptr<const Compiled> compiled_;
  std::vector<std::pair<std::string, std::uint32_t>> names_;  // name → group number, pattern order
  std::uint32_t group_count_ = 0;
};

// Python-only syntax turned into PCRE2's (e.g. `\Z` means end of subject in Python).
std::string python_to_pcre2(std::string_view pattern);

}  // namespace qmilter::core
