#include "core/spool/body_buffer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace qmilter::core {
namespace {

sdk::Error errno_error(const std::string& what) { return sdk::Error{what + ": " + std::strerror(errno)}; }

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

BodyBuffer::~BodyBuffer() {
  if (fd_ >= 0) ::close(fd_);
}

sdk::Status BodyBuffer::spill() {
  // O_TMPFILE: the file has no name, so a crash leaves nothing behind to clean up.
  fd_ = ::open(spool_dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    std::string templ = spool_dir_ + "/qmilter-body-XXXXXX";
    std::vector<char> name(templ.begin(), templ.end());
    name.push_back('\0');
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) return errno_error("cannot create spool file in " + spool_dir_);
    ::unlink(name.data());
  }
  if (!write_all(fd_, memory_)) return errno_error("cannot write spool file in " + spool_dir_);
  std::string().swap(memory_);
  return {};
}

sdk::Status BodyBuffer::append(std::string_view chunk) {
  if (fd_ < 0 && memory_.size() + chunk.size() > memory_limit_) {
    if (auto status = spill(); !status.ok()) return status;
  }
  if (fd_ >= 0) {
    if (!write_all(fd_, chunk)) return errno_error("cannot write spool file in " + spool_dir_);
  } else {
    memory_.append(chunk);
  }
  size_ += chunk.size();
  return {};
}

sdk::Status BodyBuffer::read(const sdk::ChunkVisitor& visit) const {
  if (fd_ < 0) {
    if (!memory_.empty()) visit(memory_);
    return {};
  }
  std::vector<char> buffer(64 * 1024);
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot read spool file");
    if (n == 0) return {};
    offset += n;
    if (!visit(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) return {};
  }
}

}  // namespace qmilter::core
