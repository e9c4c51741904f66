// Group commit for the quarantine directory: store() calls sync() after creating its names,
// and concurrent callers share one fsync of the directory instead of queueing one each —
// a caller returns once an fsync that started after its call has finished. Thread-safe;
// owned by the FileStore, whose directory fd it uses.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "qmilter/sdk/result.hpp"

namespace qmilter::quarantine_file {

class DirectorySync {
 public:
  DirectorySync(int dir_fd, std::string dir) : dir_fd_(dir_fd), dir_(std::move(dir)) {}

  // Every directory change this thread made before the call is durable when it returns ok.
  sdk::Status sync();

 private:
  const int dir_fd_;
  const std::string dir_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::uint64_t requested_ = 0;  // tickets handed out
  std::uint64_t covered_ = 0;    // every ticket up to this one is durable
  std::uint64_t failed_up_to_ = 0;  // tickets whose fsync failed (they get the error)
  bool running_ = false;
  std::string last_error_;
};

}  // namespace qmilter::quarantine_file
