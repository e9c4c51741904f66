// The file store's notes (see the header).
#include "note_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "qmilter/sdk/durable_file.hpp"
#include "unique_fd.hpp"

namespace qmilter::quarantine_file {
namespace {

constexpr const char* notes_name = ".notes";
constexpr std::size_t longest_name = 200;  // below NAME_MAX with room for the hash

std::string error_text(int error) { return std::strerror(error); }

bool safe_in_name(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '@' || c == '+' || c == '=';
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

sdk::Result<std::string> read_whole(int dir_fd, const std::string& name, const std::string& path, bool& absent) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  absent = false;
  if (!fd.valid()) {
    if (errno == ENOENT) {
      absent = true;
      return std::string();
    }
    return sdk::Error{"cannot read " + path + ": " + error_text(errno)};
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return sdk::Error{"cannot read " + path + ": " + error_text(errno)};
    }
    if (got == 0) return text;
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

// Opens `.notes/`, creating it (durably) when `create` and it is missing; an invalid fd with
// errno ENOENT when it is missing and not to be created.
sdk::Result<UniqueFd> open_notes(int quarantine_dir_fd, const std::string& path, mode_t mode, bool create) {
  UniqueFd fd(::openat(quarantine_dir_fd, notes_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.valid() || errno != ENOENT || !create) {
    if (!fd.valid() && errno != ENOENT) return sdk::Error{"cannot open " + path + ": " + error_text(errno)};
    return fd;
  }
  // Directories need the search bit wherever the files have read permission.
  const mode_t dir_mode = mode | ((mode & 0444) >> 2);
  if (::mkdirat(quarantine_dir_fd, notes_name, dir_mode) != 0 && errno != EEXIST) {
    return sdk::Error{"cannot create " + path + ": " + error_text(errno)};
  }
  if (::fsync(quarantine_dir_fd) != 0) return sdk::Error{"cannot fsync the directory of " + path + ": " + error_text(errno)};
  UniqueFd made(::openat(quarantine_dir_fd, notes_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!made.valid()) return sdk::Error{"cannot open " + path + ": " + error_text(errno)};
  return made;
}

}  // namespace

NoteFiles::NoteFiles(int quarantine_dir_fd, std::string quarantine_directory, mode_t mode)
    : quarantine_dir_fd_(quarantine_dir_fd), notes_directory_(quarantine_directory + "/" + notes_name), mode_(mode) {}

std::string NoteFiles::file_name(const std::string& key) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string name;
  for (char c : key) {
    if (safe_in_name(c) && !(name.empty() && c == '.')) {
      name += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      name += '%';
      name += digits[byte >> 4];
      name += digits[byte & 0xf];
    }
  }
  if (name.size() <= longest_name) return name;
  std::uint64_t hash = fnv1a(key);
  name.resize(longest_name - 17);
  name += '~';
  for (int i = 0; i < 16; ++i, hash >>= 4) name += digits[hash & 0xf];
  return name;
}

sdk::Result<std::optional<sdk::Note>> NoteFiles::read_in(int notes_fd, const std::string& key) const {
  const std::string name = file_name(key);
  const std::string path = notes_directory_ + "/" + name;
  bool absent = false;
  auto text = read_whole(notes_fd, name, path, absent);
  if (!text.ok()) return text.error();
  if (absent) return std::optional<sdk::Note>{};
  const std::string& whole = text.value();
  const std::size_t first = whole.find('\n');
  const std::size_t second = first == std::string::npos ? first : whole.find('\n', first + 1);
  if (second == std::string::npos) return sdk::Error{"malformed note file " + path};
  if (whole.compare(first + 1, second - first - 1, key) != 0) {
    return sdk::Error{"note file " + path + " holds another key (a hash collision): note '" + key + "' cannot be kept"};
  }
  sdk::Note note;
  try {
    note.version = std::stoll(whole.substr(0, first));
  } catch (const std::exception&) {
    return sdk::Error{"malformed version in note file " + path};
  }
  note.value = whole.substr(second + 1);
  return std::optional<sdk::Note>{std::move(note)};
}

sdk::Result<std::optional<sdk::Note>> NoteFiles::read(const std::string& key) const {
  auto notes = open_notes(quarantine_dir_fd_, notes_directory_, mode_, false);
  if (!notes.ok()) return notes.error();
  if (!notes.value().valid()) return std::optional<sdk::Note>{};  // no note was ever written
  // A replacement renames a whole file into place: a reader sees the old one or the new one.
  return read_in(notes.value().get(), key);
}

sdk::Result<std::optional<std::int64_t>> NoteFiles::replace(const std::string& key,
                                                            std::optional<std::int64_t> expected,
                                                            const std::string& value) const {
  auto notes = open_notes(quarantine_dir_fd_, notes_directory_, mode_, true);
  if (!notes.ok()) return notes.error();
  const int notes_fd = notes.value().get();
  // Its own descriptor's lock, so that it excludes this process's other threads too.
  while (::flock(notes_fd, LOCK_EX) != 0) {
    if (errno != EINTR) return sdk::Error{"cannot lock " + notes_directory_ + ": " + error_text(errno)};
  }
  auto current = read_in(notes_fd, key);
  if (!current.ok()) return current.error();
  const std::optional<std::int64_t> version =
      current.value() ? std::optional<std::int64_t>{current.value()->version} : std::nullopt;
  if (version != expected) return std::optional<std::int64_t>{};
  const std::int64_t next = version.value_or(0) + 1;
  const std::string text = std::to_string(next) + "\n" + key + "\n" + value;
  if (auto written = sdk::write_file_durably(notes_fd, notes_directory_, file_name(key), text, mode_); !written.ok()) {
    return written.error();
  }
  return std::optional<std::int64_t>{next};
}

}  // namespace qmilter::quarantine_file
