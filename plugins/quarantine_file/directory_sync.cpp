// One fsync of the directory for all callers that arrive while another is running.
#include "directory_sync.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qmilter::quarantine_file {

sdk::Status DirectorySync::sync() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = ++requested_;
  for (;;) {
    if (covered_ >= ticket) {
      if (ticket <= failed_up_to_) return sdk::Error{last_error_};
      return {};
    }
    if (!running_) {
      // This fsync covers every ticket handed out so far: their changes were made before.
      running_ = true;
      const std::uint64_t covers = requested_;
      lock.unlock();
      int result = ::fsync(dir_fd_);
      int error = errno;
      lock.lock();
      running_ = false;
      covered_ = covers;
      if (result != 0) {
        failed_up_to_ = covers;
        last_error_ = "cannot fsync directory " + dir_ + ": " + std::strerror(error);
      }
      finished_.notify_all();
      continue;
    }
    finished_.wait(lock);
  }
}

}  // namespace qmilter::quarantine_file
