// Temporary files published by link (no overwrite) or rename (replace).
#include "temp_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

namespace qmilter::quarantine_file {

namespace {

std::string random_suffix() {
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

}  // namespace

int write_all(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

sdk::Result<TempFile> TempFile::create(int dir_fd, const std::string& dir, mode_t mode) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = ".qmilter-" + random_suffix() + ".tmp";
    int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return sdk::Error{"cannot create a file in " + dir + ": " + std::strerror(errno)};
    }
    TempFile file(dir_fd, dir, std::move(name), UniqueFd(fd));
    if (::fchmod(fd, mode) != 0) return file.failure("cannot set the mode of", errno);
    return file;
  }
  return sdk::Error{"cannot create a file in " + dir + ": no free temporary name"};
}

TempFile::TempFile(int dir_fd, std::string dir, std::string name, UniqueFd fd)
    : dir_fd_(dir_fd), dir_(std::move(dir)), name_(std::move(name)), fd_(std::move(fd)) {}

TempFile::TempFile(TempFile&& other) noexcept
    : dir_fd_(other.dir_fd_),
      dir_(std::move(other.dir_)),
      name_(std::exchange(other.name_, std::string())),
      fd_(std::move(other.fd_)) {}

TempFile::~TempFile() {
  if (!name_.empty()) ::unlinkat(dir_fd_, name_.c_str(), 0);
}

sdk::Error TempFile::failure(std::string_view what, int error) const {
  return sdk::Error{std::string(what) + " " + dir_ + "/" + name_ + ": " + std::strerror(error)};
}

sdk::Status TempFile::write(std::string_view bytes) {
  if (int error = write_all(fd_.get(), bytes); error != 0) return failure("cannot write", error);
  return {};
}

void TempFile::start_writeback() noexcept {
  // Only a hint: a file system without it still gets the contents written by the sync.
  ::sync_file_range(fd_.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
}

sdk::Status TempFile::sync_data() {
  if (::fdatasync(fd_.get()) != 0) return failure("cannot fdatasync", errno);
  return {};
}

sdk::Status TempFile::sync() {
  if (::fsync(fd_.get()) != 0) return failure("cannot fsync", errno);
  return {};
}

sdk::Result<TempFile::Claim> TempFile::link_as(const std::string& name) {
  // link() never replaces an existing name, which rename() would do silently.
  if (::linkat(dir_fd_, name_.c_str(), dir_fd_, name.c_str(), 0) != 0) {
    if (errno == EEXIST) return Claim::taken;
    return sdk::Error{"cannot create " + dir_ + "/" + name + ": " + std::strerror(errno)};
  }
  ::unlinkat(dir_fd_, name_.c_str(), 0);
  name_.clear();
  return Claim::done;
}

sdk::Status TempFile::rename_over(const std::string& name) {
  if (::renameat(dir_fd_, name_.c_str(), dir_fd_, name.c_str()) != 0) {
    return sdk::Error{"cannot replace " + dir_ + "/" + name + ": " + std::strerror(errno)};
  }
  name_.clear();
  return {};
}

sdk::Status sync_directory(int dir_fd, const std::string& dir) {
  if (::fsync(dir_fd) != 0) return sdk::Error{"cannot fsync directory " + dir + ": " + std::strerror(errno)};
  return {};
}

}  // namespace qmilter::quarantine_file
