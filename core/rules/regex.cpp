// PCRE2 behind the Regex type, in UTF mode with Unicode properties as Python's str regexes.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/rules/regex.hpp"

#include <pcre2.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "qmilter/sdk/text.hpp"

namespace qmilter::core {

struct Regex::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t jit_stack_bytes = 8 * 1024 * 1024;  // fits `(.|\n)*` over a 100 KB header
constexpr std::uint32_t heap_limit_kib = 64 * 1024;       // the interpreter's backtracking frames
// The DFA matcher's time per character grows with its active states, which nested
// quantifiers multiply; a small workspace keeps one pass over a header short.
constexpr std::size_t dfa_workspace_ints = 4096;

// PCRE2's match limit counts per start position, so one unanchored search over a long header
// can cost the limit thousands of times. A callout in front of every pattern runs at each
// start position (of every matcher) and ends the search once the message's deadline passed.
constexpr std::string_view deadline_callout = "(?C255)";

// Per-thread matching state, freed at thread exit: the match data (grown to the largest
// pattern seen), a match context carrying the limits, a JIT stack created the first time a
// match outgrows the JIT's default 32 KB (a folded header of a few KB can), and the DFA
// matcher's workspace.
struct MatchScratch {
  pcre2_match_data* data = nullptr;
  std::uint32_t pairs = 0;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  std::vector<int> dfa_workspace;
  Clock::time_point deadline = Clock::time_point::max();  // of the search under way

  ~MatchScratch() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(jit_stack);
  }
  pcre2_match_data* match_data(std::uint32_t needed_pairs) {
    if (needed_pairs > pairs) {
      pcre2_match_data_free(data);
      data = pcre2_match_data_create(needed_pairs, nullptr);
      pairs = data ? needed_pairs : 0;
      if (!data) throw std::bad_alloc();
    }
    return data;
  }
  pcre2_match_context* limited_to(const RegexLimits& limits) {
    if (!context && !(context = pcre2_match_context_create(nullptr))) throw std::bad_alloc();
    pcre2_set_match_limit(context, limits.match_limit);
    pcre2_set_depth_limit(context, limits.depth_limit);
    pcre2_set_heap_limit(context, heap_limit_kib);
    pcre2_set_callout(context, &MatchScratch::check_deadline, this);
    return context;
  }
  // Whether a larger JIT stack was newly attached (false: it already was, or no memory).
  bool grow_jit_stack() {
    if (jit_stack) return false;
    jit_stack = pcre2_jit_stack_create(32 * 1024, jit_stack_bytes, nullptr);
    if (!jit_stack) return false;
    pcre2_jit_stack_assign(context, nullptr, jit_stack);
    return true;
  }
  static int check_deadline(pcre2_callout_block*, void* self) {
    return Clock::now() > static_cast<MatchScratch*>(self)->deadline ? PCRE2_ERROR_CALLOUT : 0;
  }
};
thread_local MatchScratch scratch;

// A backtracking match that gave up for want of resources, not for want of a match.
bool out_of_limits(int rc) {
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
         rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_NOMEMORY;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

// Headers are UTF-8 in practice but may carry raw 8-bit text in another charset. Bytes
// that are not UTF-8 are read as Latin-1 (as Python's surrogate-free decoding of such a
// header would show them), so `caf.` still matches "caf\xe9".
std::string_view as_utf8(std::string_view subject, std::string& repaired) {
  std::size_t i = 0;
  while (i < subject.size()) {
    std::size_t n = sdk::utf8_sequence_length(subject, i);
    if (n == 0) break;
    i += n;
  }
  if (i == subject.size()) return subject;
  repaired.assign(subject.substr(0, i));
  while (i < subject.size()) {
    std::size_t n = sdk::utf8_sequence_length(subject, i);
    if (n > 0) {
      repaired.append(subject.substr(i, n));
      i += n;
    } else {
      auto c = static_cast<unsigned char>(subject[i++]);
      repaired += static_cast<char>(0xc0 | (c >> 6));
      repaired += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return repaired;
}

}  // namespace

std::string python_to_pcre2(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      char next = pattern[i + 1];
      out += '\\';
      out += next == 'Z' ? 'z' : next;
      ++i;
      continue;
    }
    out += pattern[i];
  }
  return out;
}

Regex::Regex(const std::string& python_pattern, RegexLimits limits)
    : pattern_(python_pattern), limits_(limits) {
  std::string translated = std::string(deadline_callout) + python_to_pcre2(python_pattern);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  const std::uint32_t options =
      PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_DOTALL | PCRE2_UTF | PCRE2_UCP;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(), options,
                                   &error_code, &error_offset, nullptr);
  if (!code) {
    error_offset -= std::min<PCRE2_SIZE>(error_offset, deadline_callout.size());
    throw RegexError("invalid regex at offset " + std::to_string(error_offset) + ": " + pcre2_message(error_code));
  }
  auto compiled = std::make_shared<Compiled>();
  compiled->code = code;
  // JIT is an optimisation only: without it (e.g. no executable memory) matching still works.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);

  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &group_count_);
  std::uint32_t name_count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &name_count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  for (std::uint32_t i = 0; i < name_count; ++i) {
    PCRE2_SPTR entry = table + i * entry_size;
    std::uint32_t number = (static_cast<std::uint32_t>(entry[0]) << 8) | entry[1];
    names_.emplace_back(reinterpret_cast<const char*>(entry + 2), number);
  }
  std::sort(names_.begin(), names_.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  compiled_ = std::move(compiled);
}

sdk::Result<RegexSearch> Regex::search(std::string_view subject, Clock::time_point deadline) const {
  if (!compiled_) return RegexSearch{};
  std::string repaired;
  subject = as_utf8(subject, repaired);
  const auto* text = reinterpret_cast<PCRE2_SPTR>(subject.data());
  pcre2_match_data* data = scratch.match_data(group_count_ + 1);
  pcre2_match_context* context = scratch.limited_to(limits_);
  scratch.deadline = deadline;

  int rc = pcre2_match(compiled_->code, text, subject.size(), 0, PCRE2_NO_UTF_CHECK, data, context);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT && scratch.grow_jit_stack()) {
    rc = pcre2_match(compiled_->code, text, subject.size(), 0, PCRE2_NO_UTF_CHECK, data, context);
  }
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    rc = pcre2_match(compiled_->code, text, subject.size(), 0, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, data, context);
  }
  if (rc == PCRE2_ERROR_NOMATCH) return RegexSearch{};
  if (rc >= 0) {
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
    auto group = [&](std::uint32_t n) -> std::optional<std::string> {
      if (n >= static_cast<std::uint32_t>(rc) || ovector[2 * n] == PCRE2_UNSET) return std::nullopt;
      return std::string(subject.substr(ovector[2 * n], ovector[2 * n + 1] - ovector[2 * n]));
    };
    sdk::Match match;
    match.subject = std::string(subject);
    for (std::uint32_t n = 1; n <= group_count_; ++n) match.groups.push_back(group(n));
    for (const auto& [name, number] : names_) match.named.emplace_back(name, group(number));
    return RegexSearch{std::move(match), false};
  }
  if (rc == PCRE2_ERROR_CALLOUT) return sdk::Error{"the deadline passed during the search"};
  if (!out_of_limits(rc)) return sdk::Error{"PCRE2: " + pcre2_message(rc)};

  // Backtracking can cost exponential time (`(.|\n)*X` on a folded header that lacks X);
  // the DFA matcher follows every path at once and decides such patterns in one pass.
  std::vector<int>& workspace = scratch.dfa_workspace;
  workspace.resize(dfa_workspace_ints);
  int dfa = pcre2_dfa_match(compiled_->code, text, subject.size(), 0, PCRE2_NO_UTF_CHECK, data, context,
                            workspace.data(), workspace.size());
  if (dfa == PCRE2_ERROR_NOMATCH) return RegexSearch{std::nullopt, true};
  if (dfa >= 0) return RegexSearch{match_without_groups(subject), true};
  if (dfa == PCRE2_ERROR_CALLOUT) return sdk::Error{"the deadline passed during the search"};
  return sdk::Error{"PCRE2: " + pcre2_message(rc) + ", and the DFA matcher: " + pcre2_message(dfa)};
}

sdk::Match Regex::match_without_groups(std::string_view subject) const {
  sdk::Match match;
  match.subject = std::string(subject);
  match.groups.assign(group_count_, std::nullopt);
  for (const auto& entry : names_) match.named.emplace_back(entry.first, std::nullopt);
  return match;
}

}  // namespace qmilter::core
