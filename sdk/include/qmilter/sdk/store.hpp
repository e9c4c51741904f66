// Quarantine storage: keeps a quarantined message and gives it back to the admin side.
// One instance per quarantine section, shared by all connections. Every method may be
// called from several threads at once: store() from the milter's threads, the admin side
// (find, entry, read, remove_recipient, remove, the claims, the notes) from qmilterctl or a service
// answering admins concurrently, and both together. Callers never read a store's files themselves.
// What a store must do is written at each method; testing/store_conformance.hpp checks it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/abi.hpp"
#include "qmilter/sdk/entry_id.hpp"
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
// mailfrom is one of `from`, one of its recipients is one of `to` (exact comparison; the
// CLI lower-cases what the admin typed) and it is at least older_than_days days old.
struct EntryFilter {
  std::vector<std::string> from;
  std::vector<std::string> to;
  std::optional<std::int64_t> older_than_days;
  // The headers the caller reads (lower-case names); empty = all. A store may then leave
  // the others out of each entry's `headers` (keep_only_headers), so that a listing of
  // 100,000 entries for a digest does not hold every entry's whole header section.
  std::vector<std::string> header_names;
};

// Drops the headers `filter` does not ask for (none when it asks for all).
inline void keep_only_headers(const EntryFilter& filter, StoredEntry& entry) {
  if (filter.header_names.empty()) return;
  std::erase_if(entry.headers, [&](const auto& header) {
    return std::find(filter.header_names.begin(), filter.header_names.end(), header.first) == filter.header_names.end();
  });
}

// Whether `entry` matches `filter` at Unix time `now`: the one definition, used by the
// stores, by qmilterctl on what find() returns and by the conformance suite. The age test
// saturates, so a DAYS whose seconds overflow keeps every entry instead of wrapping round.
inline bool entry_matches(const EntryFilter& filter, const StoredEntry& entry, std::int64_t now) {
  auto listed = [](const std::vector<std::string>& values, const std::string& value) {
    return std::find(values.begin(), values.end(), value) != values.end();
  };
  if (!filter.from.empty() && !listed(filter.from, entry.mailfrom)) return false;
  if (!filter.to.empty() && std::none_of(entry.recipients.begin(), entry.recipients.end(),
                                         [&](const std::string& r) { return listed(filter.to, r); })) {
    return false;
  }
  if (!filter.older_than_days) return true;
  std::int64_t limit = 0;
  if (__builtin_mul_overflow(*filter.older_than_days, std::int64_t{86400}, &limit)) return *filter.older_than_days <= 0;
  std::int64_t age = 0;
  if (__builtin_sub_overflow(now, entry.date, &age)) return entry.date < now;
  return age >= limit;
}

// The header section of the form read() gives back (see there): each header as
// "Name: value\n" in the order received, then the empty line. For stores to write it.
inline std::string stored_header_section(const MessageView& message) {
  std::string head;
  for (const Header& header : message.headers()) {
    head += header.name;
    head += ": ";
    head += header.value;
    head += '\n';
  }
  head += '\n';
  return head;
}

// One recipient of one entry that one caller is releasing (see claim_recipient). A plain
// value: the host keeps it from claim to finish or abandon and hands it back unchanged.
struct RecipientClaim {
  std::string id;
  std::string recipient;
  std::string token;       // the store's proof of this claim, opaque to the host
  std::int64_t since = 0;  // Unix time the claim was made
};

// How long a claim excludes other releasers of its recipient. A releaser that dies between
// claim and finish leaves its claim behind; after this long another may take it over, so the
// recipient is never blocked for good (and gets the mail twice at worst, when the dead one
// had sent it). Far longer than a release takes: the host gives the relay 60 s per step.
inline constexpr std::int64_t claim_lifetime_seconds = 900;

// A token no other claim has: 128 random bits in hex. For stores that keep claims.
inline std::string new_claim_token() {
  static thread_local std::mt19937_64 bits{std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32)};
  static constexpr char digits[] = "0123456789abcdef";
  std::string token;
  for (int word = 0; word < 2; ++word) {
    std::uint64_t value = bits();
    for (int i = 0; i < 16; ++i, value >>= 4) token += digits[value & 0xf];
  }
  return token;
}

// A small named value that a host program keeps in the store (see replace_note), so that
// every process and host sharing the store sees the same one: qmilterctl digest keeps there
// which entries each recipient's digest reported.
struct Note {
  std::string value;
  std::int64_t version = 0;  // another number after every replacement; what replace_note() compares
};

// Note keys are 1 to max_note_key_bytes bytes of printable ASCII (no space); values are UTF-8
// text without NUL bytes of at most max_note_value_bytes. The host keeps to both.
inline constexpr std::size_t max_note_key_bytes = 1024;
inline constexpr std::size_t max_note_value_bytes = 16 * 1024 * 1024;

inline bool valid_note_key(std::string_view key) {
  if (key.empty() || key.size() > max_note_key_bytes) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

class QuarantineStore {
 public:
  static constexpr PluginKind plugin_kind = PluginKind::quarantine;
  // Forgets the default claims still made through this instance, so that a store made later
  // at the same address starts with none.
  virtual ~QuarantineStore() {
    std::lock_guard lock(local_claims_mutex());
    std::erase_if(local_claims(), [this](const auto& claim) { return std::get<0>(claim.first) == this; });
  }

  // Whether store() keeps the message; when false the host need not buffer the body for it.
  virtual bool keeps_messages() const = 0;

  // Stores the message for these recipients and returns its id ("" when nothing is kept).
  // Must be durable when it returns: the host answers the MTA right after. Called from
  // many threads at once; each call returns an id no other entry has, and that passes
  // entry_id_problem() (else qmilterctl cannot name the entry). The host checks that: any
  // other id is a store failure (TEMPFAIL, logged), and nobody is notified with it.
  virtual Result<std::string> store(const MessageView& message, const std::vector<std::string>& recipients,
                                    const Match& match) = 0;

  // Admin side. Stores that keep nothing answer every call with an Error saying so. Every
  // id passed here has passed entry_id_problem(); a store may check again but never needs
  // to treat an id as a path. An unknown id is an Error of kind ErrorKind::not_found naming
  // it; a failure to find out (disk, database) is of kind failure, never not_found.
  //
  // Exactly the entries that match `filter` (entry_matches), each complete (its id, all of
  // its recipients), in any order. qmilterctl applies entry_matches again to what comes back
  // and refuses ids that fail entry_id_problem() before it lists or deletes anything, so a
  // store that returns too much costs time, never mail.
  virtual Result<std::vector<StoredEntry>> find(const EntryFilter& filter) const = 0;
  // The entry as find() would return it.
  virtual Result<StoredEntry> entry(const std::string& id) const = 0;
  // The message exactly as the host handed it to store(), in this form: each header in the
  // order received as "Name: value" and LF ("\n", never CRLF), with name and value as in
  // Header (a folded value keeps its "\n" and leading whitespace), then an empty line
  // ("\n"), then the body bytes as read_body() gave them, unchanged (CRLF line ends, 8-bit
  // bytes and all). This is the data file of pyquarantine's format, and the admin side finds
  // the headers again by it, so a store must not alter a byte. A call that returns ok has
  // given the whole message, also while other threads take recipients off the entry or
  // remove it (then the call may fail instead).
  virtual Status read(const std::string& id, const ChunkVisitor& visit) const = 0;
  // Takes one recipient off the entry (a not_found Error when it is not one of them, so that
  // of two callers removing the same recipient at once exactly one succeeds). Removing the
  // last recipient removes the entry, as remove() would: an entry never stays with no
  // recipients. qmilterctl calls remove() itself for the last recipient, so an entry it
  // empties is gone even with a store that gets this wrong; other callers rely on the rule.
  virtual Status remove_recipient(const std::string& id, const std::string& recipient) = 0;
  // Removes the entry, message and metadata; afterwards entry(id) and read(id) fail and
  // find() no longer lists it.
  virtual Status remove(const std::string& id) = 0;

  // Releasing one recipient exactly once (ABI 2.2). The host claims the recipient, sends the
  // message, then finishes the claim (the recipient goes) or abandons it (a failed send: the
  // recipient stays held). Of any number of concurrent claims of one recipient, from threads,
  // processes or hosts sharing the store, exactly one succeeds while that claim lives; the
  // others get an Error of kind not_found, as for a recipient no longer held. A claim lives
  // until it is finished or abandoned, or until `now` of a later claim is at least
  // claim_lifetime_seconds past its `since`: then that later claim takes it over. `now` is
  // the host's clock; a store compares claims by it and by nothing else.
  //
  // An unknown id or a recipient not on the entry is not_found; a failure to find out is
  // failure. The claim changes nothing that find(), entry() or read() give.
  //
  // The default, for stores built before 2.2 or that keep no claims, excludes claims made
  // through this instance only (qmilter-web's threads, one qmilterctl): two processes or
  // hosts releasing at once may still both send. A store shared by several processes must
  // override all three, keeping the claim where they all see it (a conditional update in
  // the database, a rewrite under a lock), never read-then-write.
  virtual Result<RecipientClaim> claim_recipient(const std::string& id, const std::string& recipient,
                                                 std::int64_t now) {
    Result<StoredEntry> held = entry(id);
    if (!held.ok()) return held.error();
    const auto& recipients = held.value().recipients;
    if (std::find(recipients.begin(), recipients.end(), recipient) == recipients.end()) {
      return Error{"'" + recipient + "' is not (or no longer) a recipient of quarantine entry '" + id + "'",
                   ErrorKind::not_found};
    }
    RecipientClaim claim{id, recipient, new_claim_token(), now};
    std::lock_guard lock(local_claims_mutex());
    auto [held_claim, made] = local_claims().try_emplace({this, id, recipient}, claim);
    if (!made && now - held_claim->second.since < claim_lifetime_seconds) {
      return Error{"'" + recipient + "' of quarantine entry '" + id + "' is being released by another admin",
                   ErrorKind::not_found};
    }
    held_claim->second = claim;
    return claim;
  }
  // After a successful send: takes the claimed recipient off the entry as remove_recipient()
  // does (the last one removes the entry). not_found when the claim is no longer this one
  // (taken over after claim_lifetime_seconds) or the recipient or entry has gone meanwhile.
  virtual Status finish_claim(const RecipientClaim& claim) {
    if (!forget_local_claim(claim)) return lost_claim(claim);
    return remove_recipient(claim.id, claim.recipient);
  }
  // After a failed send: the recipient is held again, claimable at once. not_found as for
  // finish_claim(); then nothing is changed.
  virtual Status abandon_claim(const RecipientClaim& claim) {
    if (!forget_local_claim(claim)) return lost_claim(claim);
    return {};
  }

  // Notes (ABI 2.3). Whether this store keeps them; when false, read_note() and
  // replace_note() answer with an Error and the host keeps its state elsewhere. A store
  // that says true keeps notes where every process and host sharing it sees them.
  virtual bool keeps_notes() const { return false; }
  // The note, or nothing when no note has that key; a failure to find out is an Error.
  virtual Result<std::optional<Note>> read_note(const std::string& key) const {
    return Error{"this quarantine store keeps no notes (asked for '" + key + "')"};
  }
  // Compare and swap: makes `value` the note's value if the note is still at version
  // `expected` (with no expected version: if there is no such note yet) and returns the new
  // version, which differs from every version the note had; else changes nothing and
  // returns nothing. Durable when it returns. The comparison and the write are one step: of
  // concurrent replacements of one key expecting the same version, from threads, processes
  // or hosts, exactly one succeeds. Never read-then-write.
  virtual Result<std::optional<std::int64_t>> replace_note(const std::string& key,
                                                           std::optional<std::int64_t> expected,
                                                           const std::string& value) {
    (void)expected;
    (void)value;
    return Error{"this quarantine store keeps no notes (writing '" + key + "')"};
  }

 protected:
  static Error lost_claim(const RecipientClaim& claim) {
    return Error{"the claim on '" + claim.recipient + "' of quarantine entry '" + claim.id +
                     "' is gone (taken over by another admin, or the recipient was removed)",
                 ErrorKind::not_found};
  }

 private:
  // The default claims: per instance, in this process. Libraries are never unloaded, so
  // these statics live as long as any store.
  using LocalClaims = std::map<std::tuple<const QuarantineStore*, std::string, std::string>, RecipientClaim>;
  static std::mutex& local_claims_mutex() {
    static std::mutex mutex;
    return mutex;
  }
  static LocalClaims& local_claims() {
    static LocalClaims claims;
    return claims;
  }
  bool forget_local_claim(const RecipientClaim& claim) {
    std::lock_guard lock(local_claims_mutex());
    auto found = local_claims().find({this, claim.id, claim.recipient});
    if (found == local_claims().end() || found->second.token != claim.token) return false;
    local_claims().erase(found);
    return true;
  }
};

}  // namespace qmilter::sdk
