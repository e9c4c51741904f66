// Cuts the stored form of a message - its headers as "Name: value\n", an empty line, the
// body as received - into chunks of a fixed size, streaming: at most one chunk is in memory
// however large the message. The db store writes each chunk as one row. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/store.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::quarantine_db {

// 1 MiB: small enough for any server's packet limit, large enough that a message is few rows.
inline constexpr std::size_t chunk_size = 1024 * 1024;

struct ChunkCount {
  std::uint64_t bytes = 0;
  std::uint32_t chunks = 0;
};

// Calls `write(sequence number, bytes)` for each chunk of the message, in order, every chunk
// but the last exactly `size` bytes long. An exception from `write` is passed on after the
// body read has stopped; a failing body read is an Error.
sdk::Result<ChunkCount> write_chunks(const sdk::MessageView& message,
                                     const std::function<void(std::uint32_t, std::string_view)>& write,
                                     std::size_t size = chunk_size);

}  // namespace qmilter::quarantine_db
