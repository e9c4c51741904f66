// Making and checking FILE quarantine ids.
#include "quarantine_id.hpp"

#include <ctime>

namespace qmilter::quarantine_file {

namespace {

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
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
  return id;
}

std::string id_candidate(const std::string& id, unsigned attempt) {
  if (attempt == 0) return id;
  return id + "_" + std::to_string(attempt + 1);
}

std::optional<std::string> id_problem(std::string_view id) {
  if (id.empty()) return "the quarantine id is empty";
  if (id.size() > 200) return "the quarantine id is longer than 200 characters";
  if (id.find('/') != std::string_view::npos) return "it contains '/': an id is a plain entry name, not a path";
  if (id.front() == '.') return "it starts with '.'";
  if (id.size() >= metadata_suffix.size() && id.substr(id.size() - metadata_suffix.size()) == metadata_suffix) {
    return "it ends with '.metadata': give the id without the suffix";
  }
  for (char c : id) {
    if (!is_plain_char(c) && c != '.') return "it contains characters other than letters, digits, '_', '-' and '.'";
  }
  return std::nullopt;
}

bool is_temporary_name(std::string_view name) { return name.substr(0, 9) == ".qmilter-"; }

}  // namespace qmilter::quarantine_file
