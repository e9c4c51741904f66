// Which strings are quarantine ids: the ids a store's store() may return and the ids
// qmilterctl passes to a store's admin methods. qmilterctl refuses any other id before it
// calls the store, so a store never sees a path. Header-only, pure, thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qmilter::sdk {

// The longest id: a store that makes a file name of an id may add a suffix of up to nine
// characters (".metadata") and stay within the 255 bytes a file name may have.
inline constexpr std::size_t max_entry_id_length = 246;

// Why `id` is not a quarantine id, or nullopt when it is one: 1 to max_entry_id_length
// letters, digits, '_', '-' and '.', not starting with '.' (no '/', so never a path).
inline std::optional<std::string> entry_id_problem(std::string_view id) {
  if (id.empty()) return "the quarantine id is empty";
  if (id.size() > max_entry_id_length) {
    return "the quarantine id is longer than " + std::to_string(max_entry_id_length) + " characters";
  }
  if (id.find('/') != std::string_view::npos) return "it contains '/': an id is a plain entry name, not a path";
  if (id.front() == '.') return "it starts with '.'";
  for (char c : id) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                 c == '-' || c == '.';
    if (!plain) return "it contains characters other than letters, digits, '_', '-' and '.'";
  }
  return std::nullopt;
}

}  // namespace qmilter::sdk
