// Making and checking FILE quarantine ids.
#include "quarantine_id.hpp"

#include <cstdio>
#include <ctime>

namespace qmilter::quarantine_file {

namespace {

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

constexpr std::size_t decimal_digits(unsigned value) { return value < 10 ? 1 : 1 + decimal_digits(value / 10); }

// make_id leaves room for the longest suffix id_candidate adds ("_1000").
constexpr std::size_t max_base_id_length = max_id_length - 1 - decimal_digits(max_id_attempts);

// FNV-1a: stable across builds and machines, so the same queue id always gives the same id.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string make_id(std::int64_t unix_time, std::string_view queue_id) {
  std::time_t when = static_cast<std::time_t>(unix_time);
  std::tm local{};
  localtime_r(&when, &local);
  char stamp[32];
  std::size_t length = std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &local);
  std::string id(stamp, length);
  id += '_';
  for (char c : queue_id) id += is_plain_char(c) ? c : '_';
  if (id.size() <= max_base_id_length) return id;
  // Two long queue ids with the same start still get different ids.
  char hash[18];
  std::snprintf(hash, sizeof hash, "_%016llx", static_cast<unsigned long long>(fnv1a(queue_id)));
  id.resize(max_base_id_length - (sizeof hash - 1));
  return id + hash;
}

std::string id_candidate(const std::string& id, unsigned attempt) {
  if (attempt == 0) return id;
  return id + "_" + std::to_string(attempt + 1);
}

std::optional<std::string> id_problem(std::string_view id) {
  if (auto problem = sdk::entry_id_problem(id)) return problem;
  if (id.size() >= metadata_suffix.size() && id.substr(id.size() - metadata_suffix.size()) == metadata_suffix) {
    return "it ends with '.metadata': give the id without the suffix";
  }
  return std::nullopt;
}

}  // namespace qmilter::quarantine_file
