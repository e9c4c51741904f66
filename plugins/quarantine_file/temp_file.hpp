// Crash-safe file creation inside one directory: write under a hidden temporary name, fsync,
// then give the file its final name — either only if that name is free (link, never
// overwrites) or atomically replacing it (rename). A TempFile removes its temporary name when
// destroyed, so a failed write leaves nothing behind; a crash can leave a `.qmilter-*.tmp`
// file, which no listing ever shows. One TempFile per thread; the directory fd must outlive it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "qmilter/sdk/result.hpp"
#include "unique_fd.hpp"

namespace qmilter::quarantine_file {

class TempFile {
 public:
  // Creates the temporary file in `dir_fd` (whose path `dir` is used in messages) with
  // exactly `mode`, whatever the umask.
  static sdk::Result<TempFile> create(int dir_fd, const std::string& dir, mode_t mode);

  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();

  sdk::Status write(std::string_view bytes);
  // Starts writing the contents out without waiting, so that the writes of several files
  // are in flight together before their syncs wait for them.
  void start_writeback() noexcept;
  sdk::Status sync_data();  // fdatasync: the contents and what reading them needs (size)
  sdk::Status sync();       // fsync: the contents and all of the inode

  enum class Claim { done, taken };
  // Gives the file the name `name` unless something already has it (then `taken`). The
  // temporary name is removed either way.
  sdk::Result<Claim> link_as(const std::string& name);
  // Atomically replaces whatever is called `name` with this file.
  sdk::Status rename_over(const std::string& name);

 private:
  TempFile(int dir_fd, std::string dir, std::string name, UniqueFd fd);
  sdk::Error failure(std::string_view what, int error) const;

  int dir_fd_;
  std::string dir_;
  std::string name_;  // temporary name; empty once the file has been given its final one
  UniqueFd fd_;
};

// fsync a directory, so that names created, renamed or removed in it survive a crash.
sdk::Status sync_directory(int dir_fd, const std::string& dir);

// Writes all of `bytes` to `fd` (retrying on short writes and EINTR); errno on failure, 0 on success.
int write_all(int fd, std::string_view bytes) noexcept;

}  // namespace qmilter::quarantine_file
