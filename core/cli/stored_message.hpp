// A quarantined message seen again as an sdk::MessageView, for `qmilterctl quarantine NAME
// notify`: envelope and date from the store's StoredEntry, headers in their original order
// parsed from the stored message's header section, the body streamed from
// QuarantineStore::read on every read_body() (never held in memory). Lives for one command;
// the store must outlive it. Single-threaded.
#pragma once

#include <string>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/store.hpp"

namespace qmilter::cli {

class StoredMessage final : public sdk::MessageView {
 public:
  // Reads the header section of entry `entry.id`; CliError when the store cannot.
  StoredMessage(const sdk::QuarantineStore& store, sdk::StoredEntry entry);

  std::string_view queue_id() const noexcept override { return entry_.queue_id; }
  std::string_view client_address() const noexcept override { return {}; }
  std::string_view sender() const noexcept override { return entry_.mailfrom; }
  const std::vector<std::string>& recipients() const noexcept override { return entry_.recipients; }
  const std::vector<sdk::Header>& headers() const noexcept override { return headers_; }
  std::int64_t received_at() const noexcept override { return entry_.date; }
  std::uint64_t body_size() const noexcept override { return body_size_; }
  sdk::Status read_body(const sdk::ChunkVisitor& visit) const noexcept override;

  // The regex groups as the store kept them (the matched subject itself is not kept).
  sdk::Match match() const;
  const sdk::StoredEntry& entry() const noexcept { return entry_; }

 private:
  const sdk::QuarantineStore& store_;
  sdk::StoredEntry entry_;
  std::vector<sdk::Header> headers_;
  std::uint64_t header_bytes_ = 0;  // headers and the empty line, skipped by read_body()
  std::uint64_t body_size_ = 0;
};

// Splits a stored header section ("Name: value\n", continuation lines starting with
// whitespace) into headers the way libmilter handed them over.
std::vector<sdk::Header> parse_header_section(std::string_view section);

}  // namespace qmilter::cli
