// Whitelist: (sender, recipient) pairs that skip a quarantine. One instance per quarantine
// section, shared by all connections and called concurrently. An Error from whitelisted()
// makes the host answer TEMPFAIL: nothing is delivered that should have been quarantined.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/abi.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::sdk {

struct WhitelistEntry {
  std::int64_t id = 0;
  std::string mailfrom;   // "" = anyone, "@domain" or a full address
  std::string recipient;  // likewise
  std::string created;    // "YYYY-MM-DD HH:MM:SS[.ffffff]", local time, as the Python ORM wrote it
  std::string last_used;
  std::string comment;
  bool permanent = false;
};

// Empty vectors match everything; `from`/`to` entries match the stored fields exactly.
struct WhitelistFilter {
  std::vector<std::string> from;
  std::vector<std::string> to;
  std::optional<std::int64_t> older_than_days;  // not used for that many days
};

class Whitelist {
 public:
  static constexpr PluginKind plugin_kind = PluginKind::whitelist;
  virtual ~Whitelist() = default;

  // The subset of recipients for whom the sender is whitelisted, in one round trip.
  virtual Result<std::set<std::string>> whitelisted(std::string_view sender,
                                                    const std::vector<std::string>& recipients) = 0;

  // Admin side. Whitelists that hold nothing answer with an Error saying so.
  virtual Result<std::vector<WhitelistEntry>> list(const WhitelistFilter& filter) const = 0;
  // The entries that cover (sender, recipient), without touching last_used.
  virtual Result<std::vector<WhitelistEntry>> covering(std::string_view sender,
                                                       std::string_view recipient) const = 0;
  virtual Result<std::int64_t> add(const WhitelistEntry& entry) = 0;  // returns the new id
  virtual Status remove(std::int64_t id) = 0;
  virtual Result<std::int64_t> purge() = 0;  // removes expired entries, returns how many
};

}  // namespace qmilter::sdk
