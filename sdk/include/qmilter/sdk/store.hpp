// Quarantine storage: keeps a quarantined message and gives it back to the admin CLI.
// One instance per quarantine section, shared by all connections: store() is called
// concurrently from many threads and must be safe for that. qmilterctl uses the admin side
// (find, entry, read, remove_recipient, remove) and never reads a store's files itself.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/abi.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::sdk {

// What a store knows about one quarantined message (its metadata).
struct StoredEntry {
  std::string id;
  std::string mailfrom;
  std::vector<std::string> recipients;
  std::map<std::string, std::string> headers;  // lower-cased name → value, last occurrence wins
  std::int64_t date = 0;                        // Unix time, UTC
  std::string queue_id;
  std::vector<std::optional<std::string>> subgroups;
  std::vector<std::pair<std::string, std::optional<std::string>>> named_subgroups;
};

// Which entries to list; empty vectors match everything. An entry matches when its
// mailfrom is one of `from` and one of its recipients is one of `to` (exact, lower-case).
struct EntryFilter {
  std::vector<std::string> from;
  std::vector<std::string> to;
  std::optional<std::int64_t> older_than_days;
};

class QuarantineStore {
 public:
  static constexpr PluginKind plugin_kind = PluginKind::quarantine;
  virtual ~QuarantineStore() = default;

  // Whether store() keeps the message; when false the host need not buffer the body for it.
  virtual bool keeps_messages() const = 0;

  // Stores the message for these recipients and returns its id ("" when nothing is kept).
  // Must be durable when it returns: the host answers the MTA right after.
  virtual Result<std::string> store(const MessageView& message, const std::vector<std::string>& recipients,
                                    const Match& match) = 0;

  // Admin side. Stores that keep nothing answer with an Error saying so.
  virtual Result<std::vector<StoredEntry>> find(const EntryFilter& filter) const = 0;
  virtual Result<StoredEntry> entry(const std::string& id) const = 0;
  // The stored message as the data file holds it: headers, empty line, body.
  virtual Status read(const std::string& id, const ChunkVisitor& visit) const = 0;
  virtual Status remove_recipient(const std::string& id, const std::string& recipient) = 0;
  virtual Status remove(const std::string& id) = 0;
};

}  // namespace qmilter::sdk
