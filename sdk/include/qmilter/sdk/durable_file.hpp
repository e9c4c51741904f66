// Crash-safe files for plugins that keep state on disk (stores, outboxes): write under a
// hidden temporary name, fsync, give the file its final name, fsync the directory. After a
// crash the final name holds the whole file or nothing; at worst a temporary file remains,
// which is_temporary_file_name() recognises so listings skip it and a start-up sweep can
// remove it. Header-only, POSIX. A DurableFile is used by one thread; its directory fd must
// outlive it. The free functions are thread-safe.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "qmilter/sdk/result.hpp"

namespace qmilter::sdk {

// Writes all of `bytes` to `fd`, retrying on short writes and EINTR: 0, or the errno.
inline int write_all(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

// Whether a directory entry is the temporary file of a write that has not finished (or
// never will: a crash). Such names start with '.', so they never pass entry_id_problem().
inline bool is_temporary_file_name(std::string_view name) noexcept {
  return name.starts_with(".qmilter-") && name.ends_with(".tmp");
}

// fsync a directory, so that the names created, renamed or removed in it survive a crash.
inline Status sync_directory(int dir_fd, const std::string& dir) {
  if (::fsync(dir_fd) != 0) return Error{"cannot fsync directory " + dir + ": " + std::strerror(errno)};
  return {};
}

// A directory opened for one operation on the files in it, closed when the object goes.
// fd() is negative when it could not be opened (errno says why).
class OpenDirectory {
 public:
  explicit OpenDirectory(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  OpenDirectory(const OpenDirectory&) = delete;
  OpenDirectory& operator=(const OpenDirectory&) = delete;
  ~OpenDirectory() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

// sync_directory() for a caller that holds only the directory's path.
inline Status sync_directory(const std::string& dir) {
  const OpenDirectory open(dir);
  if (open.fd() < 0) return Error{"cannot open directory " + dir + ": " + std::strerror(errno)};
  return sync_directory(open.fd(), dir);
}

class DurableFile {
 public:
  // Creates the temporary file in `dir_fd` (whose path `dir` is used in messages) with
  // exactly `mode`, whatever the umask. It is open read-write, so a caller may lock it or
  // read it back through fd().
  static Result<DurableFile> create(int dir_fd, std::string dir, mode_t mode) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      std::string name = ".qmilter-" + random_suffix() + ".tmp";
      const int fd = ::openat(dir_fd, name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0) {
        if (errno == EEXIST) continue;
        return Error{"cannot create a file in " + dir + ": " + std::strerror(errno)};
      }
      DurableFile file(dir_fd, std::move(dir), std::move(name), fd);
      if (::fchmod(fd, mode) != 0) return file.failure("cannot set the mode of", errno);
      return file;
    }
    return Error{"cannot create a file in " + dir + ": no free temporary name"};
  }

  DurableFile(DurableFile&& other) noexcept
      : dir_fd_(other.dir_fd_),
        dir_(std::move(other.dir_)),
        name_(std::exchange(other.name_, std::string())),
        fd_(std::exchange(other.fd_, -1)) {}
  DurableFile& operator=(DurableFile&&) = delete;
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;
  // A file that never got its final name leaves nothing behind.
  ~DurableFile() {
    if (!name_.empty()) ::unlinkat(dir_fd_, name_.c_str(), 0);
    if (fd_ >= 0) ::close(fd_);
  }

  int fd() const noexcept { return fd_; }

  Status write(std::string_view bytes) {
    if (int error = write_all(fd_, bytes); error != 0) return failure("cannot write", error);
    return {};
  }
  // Starts writing the contents out without waiting, so that the writes of several files
  // are in flight together before their syncs wait for them. Only a hint.
  void start_writeback() noexcept { ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE); }
  // fdatasync: the contents and what reading them needs (the size).
  Status sync_data() {
    if (::fdatasync(fd_) != 0) return failure("cannot fdatasync", errno);
    return {};
  }
  // fsync: the contents and all of the inode.
  Status sync() {
    if (::fsync(fd_) != 0) return failure("cannot fsync", errno);
    return {};
  }

  enum class Claim { done, taken };
  // Gives the file the name `name` unless something already has it (then `taken`); the
  // temporary name goes either way. link() never replaces a name, which rename() would.
  Result<Claim> link_as(const std::string& name) {
    if (::linkat(dir_fd_, name_.c_str(), dir_fd_, name.c_str(), 0) != 0) {
      if (errno == EEXIST) return Claim::taken;
      return Error{"cannot create " + dir_ + "/" + name + ": " + std::strerror(errno)};
    }
    ::unlinkat(dir_fd_, name_.c_str(), 0);
    name_.clear();
    return Claim::done;
  }
  // Atomically replaces whatever is called `name` with this file.
  Status rename_over(const std::string& name) {
    if (::renameat(dir_fd_, name_.c_str(), dir_fd_, name.c_str()) != 0) {
      return Error{"cannot replace " + dir_ + "/" + name + ": " + std::strerror(errno)};
    }
    name_.clear();
    return {};
  }

  // Hands the open file over to the caller, who closes it (e.g. to keep a lock on it).
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  DurableFile(int dir_fd, std::string dir, std::string name, int fd)
      : dir_fd_(dir_fd), dir_(std::move(dir)), name_(std::move(name)), fd_(fd) {}

  Error failure(std::string_view what, int error) const {
    return Error{std::string(what) + " " + dir_ + "/" + name_ + ": " + std::strerror(error)};
  }

  static std::string random_suffix() {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string suffix;
    std::uint64_t value = generator();
    for (int i = 0; i < 12; ++i) {
      suffix += alphabet[value % 36];
      value /= 36;
    }
    return suffix;
  }

  int dir_fd_;
  std::string dir_;
  std::string name_;  // temporary name; empty once the file has its final one
  int fd_;
};

// The whole sequence for contents at hand: afterwards `name` in the directory holds exactly
// `bytes` with `mode` (replacing what had the name), durably — file and directory synced.
inline Status write_file_durably(int dir_fd, const std::string& dir, const std::string& name, std::string_view bytes,
                                 mode_t mode) {
  auto file = DurableFile::create(dir_fd, dir, mode);
  if (!file.ok()) return file.error();
  if (auto written = file.value().write(bytes); !written.ok()) return written;
  if (auto synced = file.value().sync(); !synced.ok()) return synced;
  if (auto renamed = file.value().rename_over(name); !renamed.ok()) return renamed;
  return sync_directory(dir_fd, dir);
}

}  // namespace qmilter::sdk
