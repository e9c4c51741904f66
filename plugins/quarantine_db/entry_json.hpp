// The JSON columns of an entry row: `headers` (lower-cased name → value, the last occurrence
// wins, as in the file store's metadata), `subgroups` (list) and `named_subgroups` (object in
// pattern order). Non-ASCII is written as \uXXXX, so the text is ASCII whatever the server's
// character set; bytes that are not UTF-8 become U+FFFD, as in the file store. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/store.hpp"

namespace qmilter::quarantine_db {

struct EntryJson {
  std::string headers;
  std::string subgroups;
  std::string named_subgroups;
};

EntryJson entry_json(const sdk::MessageView& message, const sdk::Match& match);

// Fills entry.headers, .subgroups and .named_subgroups; an Error names what is malformed.
sdk::Status read_entry_json(sdk::StoredEntry& entry, std::string_view headers, std::string_view subgroups,
                            std::string_view named_subgroups);

}  // namespace qmilter::quarantine_db
