// The file store's notes: one file per note in `.notes/` below the quarantine directory
// (hidden, so listings and pyquarantine's tools pass it by), each "<version>\n<key>\n<value>",
// replaced crash-safely (temporary file, fsync, rename, directory fsync). A replacement
// compares and writes under an flock on `.notes/`, so every thread and process on this host
// (and on hosts mounting the directory with working flock) replaces a note one at a time.
// A version only grows: it is the last one plus one, and notes are never deleted.
// Thread-safe; the directory fd must outlive the instance.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/store.hpp"

namespace qmilter::quarantine_file {

class NoteFiles {
 public:
  NoteFiles(int quarantine_dir_fd, std::string quarantine_directory, mode_t mode);

  sdk::Result<std::optional<sdk::Note>> read(const std::string& key) const;
  sdk::Result<std::optional<std::int64_t>> replace(const std::string& key, std::optional<std::int64_t> expected,
                                                   const std::string& value) const;

  // The file name of a key: safe bytes kept, others as %XX; a name that would be too long
  // keeps its start and ends in a hash of the whole key (the file holds the key, so a
  // collision is noticed, never taken for the other note).
  static std::string file_name(const std::string& key);

 private:
  sdk::Result<std::optional<sdk::Note>> read_in(int notes_fd, const std::string& key) const;

  int quarantine_dir_fd_;
  std::string notes_directory_;  // for messages and the directory fsync
  mode_t mode_;
};

}  // namespace qmilter::quarantine_file
