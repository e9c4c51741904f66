// A quarantine's header regex: Python syntax (named groups `(?P<name>...)`), compiled once
// at load with PCRE2 (JIT when available) and the flags the Python filter used:
// IGNORECASE | MULTILINE | DOTALL, unanchored search. Immutable and shareable by threads;
// each thread keeps its own match buffer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/message.hpp"

namespace qmilter::core {

class RegexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Regex {
 public:
  Regex() = default;
  // Throws RegexError naming the offset and PCRE2's reason.
  explicit Regex(const std::string& python_pattern);

  const std::string& pattern() const noexcept { return pattern_; }
  // Whether the pattern matches somewhere in subject.
  bool search(std::string_view subject) const;
  // The groups of the first match, as Python's groups()/groupdict() would give them.
  std::optional<sdk::Match> match(std::string_view subject) const;

 private:
  struct Compiled;
  std::string pattern_;
  std::shared_ptr<const Compiled> compiled_;
  std::vector<std::pair<std::string, std::uint32_t>> names_;  // name → group number, pattern order
  std::uint32_t group_count_ = 0;
};

// Python-only syntax turned into PCRE2's (e.g. `\Z` means end of subject in Python).
std::string python_to_pcre2(std::string_view pattern);

}  // namespace qmilter::core
