// The body of one message as the MTA sends it: kept in memory up to a limit, then spilled
// to an unlinked temporary file, so a 100 MB message does not grow the daemon. Readable any
// number of times. Owned by one message context; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::core {

class BodyBuffer {
 public:
  BodyBuffer(std::uint64_t memory_limit, std::string spool_dir)
      : memory_limit_(memory_limit), spool_dir_(std::move(spool_dir)) {}
  ~BodyBuffer();
  BodyBuffer(const BodyBuffer&) = delete;
  BodyBuffer& operator=(const BodyBuffer&) = delete;

  sdk::Status append(std::string_view chunk);
  std::uint64_t size() const noexcept { return size_; }
  bool spilled() const noexcept { return fd_ >= 0; }
  sdk::Status read(const sdk::ChunkVisitor& visit) const;

 private:
  sdk::Status spill();

  std::uint64_t memory_limit_;
  std::string spool_dir_;
  std::string memory_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace qmilter::core
