// The durable outbox of notifications not yet delivered: one file per quarantined message
// holding a one-line JSON envelope (sender, queue id, time, the pieces every notification
// shares, each recipient with the pieces its notification is made of), the shared pieces
// once, then each recipient's own pieces. So the preview and the images of a message for a
// thousand recipients are on disk once, and a notification is read from the file piece by
// piece while it is sent: memory follows the message, not message × recipients. A file
// appears atomically (temp file, fsync, rename, directory fsync): two syncs per message
// whatever its number of recipients. Delivery progress is one empty marker file per
// delivered or failed recipient (<name>.<index>.done), so a restart resumes where the
// last run stopped. Whoever sends a file holds an exclusive flock on it, so several sender
// threads (config generations after a reload, qmilterctl) never work on it at once.
// A recipient refused for good is written to failed/<name>.<index> with a .reason file.
// An Outbox object holds only its path: safe to use from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::notification_email {

// One piece of a notification to queue: bytes of its own, or one of the pieces that every
// notification about the same message shares (the preview, the images), stored once.
struct OutboxPiece {
  static constexpr std::size_t own = static_cast<std::size_t>(-1);
  std::size_t shared = own;  // index into OutboxBatch::shared, or own
  std::string bytes;         // when own
};

// One notification to queue: its message (headers, empty line, body; CRLF) is its pieces
// one after the other.
struct OutboxItem {
  std::string recipient;
  std::vector<OutboxPiece> pieces;

  static OutboxItem whole(std::string recipient, std::string message) {
    return {std::move(recipient), {OutboxPiece{OutboxPiece::own, std::move(message)}}};
  }
};

// The notifications about one message.
struct OutboxBatch {
  std::vector<std::string> shared;
  std::vector<OutboxItem> items;
};

struct OutboxEnvelope {
  std::string envelope_from;  // "" = <>
  std::string queue_id;       // of the quarantined message, for log lines
  std::int64_t created = 0;   // Unix time the notifications were queued
};

// A file taken for sending: the lock is held until the object dies.
class ClaimedEntry {
 public:
  // A run of bytes of the file.
  struct Extent {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  struct Recipient {
    std::size_t index = 0;  // position in the file (names the marker)
    std::string address;
    std::vector<Extent> message;  // where its message's pieces are, in order
    bool done = false;  // delivered or failed for good (marker present)
  };

  ClaimedEntry(std::string name, int fd, OutboxEnvelope envelope, std::vector<Recipient> recipients) noexcept;
  ClaimedEntry(ClaimedEntry&& other) noexcept;
  ClaimedEntry& operator=(ClaimedEntry&&) = delete;
  ClaimedEntry(const ClaimedEntry&) = delete;
  ~ClaimedEntry();

  const std::string& name() const noexcept { return name_; }
  const OutboxEnvelope& envelope() const noexcept { return envelope_; }
  std::vector<Recipient>& recipients() noexcept { return recipients_; }
  const std::vector<Recipient>& recipients() const noexcept { return recipients_; }

  // Hands the recipient's message to `visit` in chunks of at most 64 KiB, read from the file;
  // stops early (without an error) when visit returns false.
  sdk::Status read_message(const Recipient& recipient, const sdk::ChunkVisitor& visit) const;
  // The whole message in memory (one notification, for failed/).
  sdk::Result<std::string> message(const Recipient& recipient) const;

 private:
  std::string name_;
  int fd_ = -1;
  OutboxEnvelope envelope_;
  std::vector<Recipient> recipients_;
};

class Outbox {
 public:
  explicit Outbox(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const noexcept { return dir_; }

  // Queues the notifications of one message durably (all or none); returns the file name.
  sdk::Result<std::string> put(const OutboxEnvelope& envelope, const OutboxBatch& batch) const;
  // The same, returning the entry already locked (taken before the rename, so no other
  // sender can get it first): for callers that send right away.
  sdk::Result<ClaimedEntry> put_claimed(const OutboxEnvelope& envelope, const OutboxBatch& batch) const;

  // Names of the queued files, oldest first.
  sdk::Result<std::vector<std::string>> pending() const;

  // Takes a queued file for sending; nullopt when another sender holds it or it is gone.
  // A file that cannot be parsed is moved to failed/ and reported as an Error.
  sdk::Result<std::optional<ClaimedEntry>> claim(const std::string& name) const;

  // Recipient delivered: its marker is written durably so no later run sends it again.
  sdk::Status mark_delivered(ClaimedEntry& entry, std::size_t position) const;
  // Recipient refused for good: its notification goes to failed/ with the reason, and its
  // marker is written.
  sdk::Status mark_failed(ClaimedEntry& entry, std::size_t position, std::string_view reason) const;
  // Every recipient done: the file and its markers go away.
  sdk::Status remove(ClaimedEntry entry) const;

  // Start-up clean-up: temp files older than max_age_seconds that a crash left behind,
  // and markers whose file is gone.
  void remove_leftovers(std::int64_t max_age_seconds) const;

 private:
  struct Written {
    std::string name;
    int fd = -1;
  };
  sdk::Result<Written> write_file(const OutboxEnvelope& envelope, const OutboxBatch& batch, bool keep_locked) const;
  // Reads the envelope line of a locked file and builds the entry, which then owns the fd
  // (on failure the caller still does).
  sdk::Result<ClaimedEntry> load(const std::string& name, int fd) const;
  sdk::Status move_to_failed(const std::string& name, std::string_view reason) const;
  std::string marker(const ClaimedEntry& entry, std::size_t index) const;

  std::string dir_;
};

}  // namespace qmilter::notification_email
