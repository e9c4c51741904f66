// The durable outbox of notifications not yet delivered: one file per quarantined message
// holding a one-line JSON envelope (sender, queue id, time, each recipient with the length
// of its notification) and the recipients' notifications one after the other. A file
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

#include "qmilter/sdk/result.hpp"

namespace qmilter::notification_email {

// One notification to queue.
struct OutboxItem {
  std::string recipient;
  std::string message;  // headers, empty line, body (CRLF)
};

struct OutboxEnvelope {
  std::string envelope_from;  // "" = <>
  std::string queue_id;       // of the quarantined message, for log lines
  std::int64_t created = 0;   // Unix time the notifications were queued
};

// A file taken for sending: the lock is held until the object dies.
class ClaimedEntry {
 public:
  struct Recipient {
    std::size_t index = 0;  // position in the file (names the marker)
    std::string address;
    std::string message;
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
  sdk::Result<std::string> put(const OutboxEnvelope& envelope, const std::vector<OutboxItem>& items) const;
  // The same, returning the entry already locked (taken before the rename, so no other
  // sender can get it first): for callers that send right away.
  sdk::Result<ClaimedEntry> put_claimed(const OutboxEnvelope& envelope, const std::vector<OutboxItem>& items) const;

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
  sdk::Result<Written> write_file(const OutboxEnvelope& envelope, const std::vector<OutboxItem>& items,
                                  bool keep_locked) const;
  sdk::Status move_to_failed(const std::string& name, std::string_view reason) const;
  std::string marker(const ClaimedEntry& entry, std::size_t index) const;

  std::string dir_;
};

}  // namespace qmilter::notification_email
