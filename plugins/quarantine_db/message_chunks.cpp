// Chunking a message for the db store (see the header).
#include "message_chunks.hpp"

#include <exception>

namespace qmilter::quarantine_db {

sdk::Result<ChunkCount> write_chunks(const sdk::MessageView& message,
                                     const std::function<void(std::uint32_t, std::string_view)>& write,
                                     std::size_t size) {
  ChunkCount count;
  std::string buffer;
  buffer.reserve(size);
  auto append = [&](std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t room = size - buffer.size();
      const std::size_t taken = std::min(room, bytes.size());
      buffer.append(bytes.data(), taken);
      bytes.remove_prefix(taken);
      count.bytes += taken;
      if (buffer.size() == size) {
        write(count.chunks++, buffer);
        buffer.clear();
      }
    }
  };
  append(sdk::stored_header_section(message));
  // read_body() is noexcept: an exception from `write` must not cross it.
  std::exception_ptr failure;
  sdk::Status read = message.read_body([&](std::string_view chunk) {
    try {
      append(chunk);
      return true;
    } catch (...) {
      failure = std::current_exception();
      return false;
    }
  });
  if (failure) std::rethrow_exception(failure);
  if (!read.ok()) return sdk::Error{"cannot read the message body: " + read.error().message};
  if (!buffer.empty() || count.chunks == 0) write(count.chunks++, buffer);
  return count;
}

}  // namespace qmilter::quarantine_db
