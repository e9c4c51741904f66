// The durable outbox of notifications not yet delivered: one file per (message, recipient)
// holding a one-line JSON envelope and the complete message. Files appear atomically (temp
// file, fsync, rename, directory fsync); whoever sends one holds an exclusive flock on it,
// so several sender threads (config generations after a reload, qmilterctl) never send the
// same file at the same time. Permanent failures move to failed/ with a .reason file.
// An Outbox object holds only its path: safe to use from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/result.hpp"

namespace qmilter::notification_email {

struct OutboxEnvelope {
  std::string envelope_from;  // "" = <>
  std::string recipient;
  std::string queue_id;       // of the quarantined message, for log lines
  std::int64_t created = 0;   // Unix time the notification was queued
};

// One notification to queue.
struct OutboxItem {
  OutboxEnvelope envelope;
  std::string message;  // headers, empty line, body (CRLF)
};

// A file taken for sending: the lock is held until the object dies (or remove/fail).
class ClaimedEntry {
 public:
  ClaimedEntry(std::string name, int fd, OutboxEnvelope envelope, std::string message) noexcept;
  ClaimedEntry(ClaimedEntry&& other) noexcept;
  ClaimedEntry& operator=(ClaimedEntry&&) = delete;
  ClaimedEntry(const ClaimedEntry&) = delete;
  ~ClaimedEntry();

  const std::string& name() const noexcept { return name_; }
  const OutboxEnvelope& envelope() const noexcept { return envelope_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string name_;
  int fd_ = -1;
  OutboxEnvelope envelope_;
  std::string message_;
};

class Outbox {
 public:
  explicit Outbox(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const noexcept { return dir_; }

  // Writes the notifications of one message durably, all or none: every file is written
  // and fsync'ed under a temporary name, then all are renamed and the directory is
  // fsync'ed once (one directory sync per message, not per recipient). Returns the names.
  sdk::Result<std::vector<std::string>> put(const std::vector<OutboxItem>& items) const;
  // The same, returning the entries already locked (taken before the rename, so no other
  // sender can get them first): for callers that send right away.
  sdk::Result<std::vector<ClaimedEntry>> put_claimed(const std::vector<OutboxItem>& items) const;

  // Names of the queued notifications, oldest first.
  sdk::Result<std::vector<std::string>> pending() const;

  // Takes a queued file for sending; nullopt when another sender holds it or it is gone.
  // A file that cannot be parsed is moved to failed/ and reported as an Error.
  sdk::Result<std::optional<ClaimedEntry>> claim(const std::string& name) const;

  // Delivered: the file goes away (durably, directory fsync'ed).
  sdk::Status remove(ClaimedEntry entry) const;
  // Refused for good: the file moves to failed/ with <name>.reason holding `reason`.
  sdk::Status fail(ClaimedEntry entry, std::string_view reason) const;

  // Removes temp files older than max_age_seconds that a crash left behind.
  void remove_stale_temp_files(std::int64_t max_age_seconds) const;

 private:
  struct Written {
    std::string name;
    int fd = -1;  // open (and locked) when the caller keeps the entry, else -1
  };
  sdk::Result<std::vector<Written>> write_files(const std::vector<OutboxItem>& items, bool keep_locked) const;
  sdk::Status move_to_failed(const std::string& name, std::string_view reason) const;

  std::string dir_;
};

}  // namespace qmilter::notification_email
