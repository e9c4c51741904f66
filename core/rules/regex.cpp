// PCRE2 behind the Regex type. UTF mode with invalid-UTF tolerance: headers usually carry
// UTF-8, but an 8-bit header in another charset must still be searched, not refused.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/rules/regex.hpp"

#include <pcre2.h>

#include <algorithm>

namespace qmilter::core {

struct Regex::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

namespace {

// One match buffer per thread, grown to the largest pattern seen; freed at thread exit.
struct MatchBuffer {
  pcre2_match_data* data = nullptr;
  std::uint32_t pairs = 0;
  ~MatchBuffer() { pcre2_match_data_free(data); }
  pcre2_match_data* get(std::uint32_t needed_pairs) {
    if (needed_pairs > pairs) {
      pcre2_match_data_free(data);
      data = pcre2_match_data_create(needed_pairs, nullptr);
      pairs = data ? needed_pairs : 0;
      if (!data) throw std::bad_alloc();
    }
    return data;
  }
};
thread_local MatchBuffer match_buffer;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
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

Regex::Regex(const std::string& python_pattern) : pattern_(python_pattern) {
  std::string translated = python_to_pcre2(python_pattern);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  const std::uint32_t options =
      PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_DOTALL | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(), options,
                                   &error_code, &error_offset, nullptr);
  if (!code) {
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

bool Regex::search(std::string_view subject) const {
  if (!compiled_) return false;
  pcre2_match_data* data = match_buffer.get(group_count_ + 1);
  int rc = pcre2_match(compiled_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, data,
                       nullptr);
  return rc >= 0;
}

std::optional<sdk::Match> Regex::match(std::string_view subject) const {
  if (!compiled_) return std::nullopt;
  pcre2_match_data* data = match_buffer.get(group_count_ + 1);
  int rc = pcre2_match(compiled_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, data,
                       nullptr);
  if (rc < 0) return std::nullopt;
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
  auto group = [&](std::uint32_t n) -> std::optional<std::string> {
    if (n >= static_cast<std::uint32_t>(rc) || ovector[2 * n] == PCRE2_UNSET) return std::nullopt;
    return std::string(subject.substr(ovector[2 * n], ovector[2 * n + 1] - ovector[2 * n]));
  };
  sdk::Match result;
  result.subject = std::string(subject);
  for (std::uint32_t n = 1; n <= group_count_; ++n) result.groups.push_back(group(n));
  for (const auto& [name, number] : names_) result.named.emplace_back(name, group(number));
  return result;
}

}  // namespace qmilter::core
