// File format: "QMILTER-NOTIFICATION 1\n", one line of JSON
//   {"envelope_from": "...", "queue_id": "...", "created": 1700000000,
//    "recipients": [{"address": "...", "length": 1234}, ...]}
// then the recipients' messages, concatenated in that order. The version line lets a later
// qmilter read what an earlier one queued.
#include "outbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

namespace qmilter::notification_email {
namespace {

constexpr std::string_view magic_line = "QMILTER-NOTIFICATION 1\n";
constexpr std::string_view suffix = ".msg";
constexpr std::string_view marker_suffix = ".done";
constexpr std::string_view temp_prefix = ".tmp-";

std::string errno_text() { return std::strerror(errno); }

bool ends_with(std::string_view s, std::string_view end) {
  return s.size() >= end.size() && s.substr(s.size() - end.size()) == end;
}

std::string new_name() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  char name[64];
  std::snprintf(name, sizeof name, "%016lld-%08llx", static_cast<long long>(now),
                static_cast<unsigned long long>(generator() & 0xFFFFFFFFu));
  return std::string(name) + std::string(suffix);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

sdk::Status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sdk::Error{"cannot open " + dir + ": " + errno_text()};
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return sdk::Error{"cannot fsync " + dir + ": " + std::strerror(saved)};
  return {};
}

// Writes a small file crash-safely (failed/ entries and their reasons).
sdk::Status write_small_file(const std::string& dir, const std::string& name, std::string_view content) {
  const std::string temp = dir + "/" + std::string(temp_prefix) + name;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return sdk::Error{"cannot create " + temp + ": " + errno_text()};
  const bool ok = write_all(fd, content) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), (dir + "/" + name).c_str()) != 0) {
    ::unlink(temp.c_str());
    return sdk::Error{"cannot write " + dir + "/" + name + ": " + std::strerror(ok ? errno : saved)};
  }
  return {};
}

std::string header_line(const OutboxEnvelope& envelope, const std::vector<OutboxItem>& items) {
  nlohmann::json recipients = nlohmann::json::array();
  for (const OutboxItem& item : items) recipients.push_back({{"address", item.recipient}, {"length", item.message.size()}});
  const nlohmann::json json = {{"envelope_from", envelope.envelope_from},
                               {"queue_id", envelope.queue_id},
                               {"created", envelope.created},
                               {"recipients", recipients}};
  // ensure_ascii keeps the line free of raw bytes a reader might choke on.
  return std::string(magic_line) + json.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
}

// Parses a file's content; the error says what is wrong with it.
sdk::Result<std::pair<OutboxEnvelope, std::vector<ClaimedEntry::Recipient>>> parse_file(std::string_view content) {
  if (content.substr(0, magic_line.size()) != magic_line) return sdk::Error{"not a qmilter notification (bad first line)"};
  const std::size_t line_end = content.find('\n', magic_line.size());
  if (line_end == std::string_view::npos) return sdk::Error{"truncated envelope line"};
  try {
    const auto json = nlohmann::json::parse(content.substr(magic_line.size(), line_end - magic_line.size()));
    OutboxEnvelope envelope;
    envelope.envelope_from = json.at("envelope_from").get<std::string>();
    envelope.queue_id = json.value("queue_id", std::string());
    envelope.created = json.value("created", std::int64_t{0});
    std::vector<ClaimedEntry::Recipient> recipients;
    std::size_t offset = line_end + 1;
    for (const auto& item : json.at("recipients")) {
      const auto length = item.at("length").get<std::size_t>();
      if (length > content.size() - offset) return sdk::Error{"truncated message"};
      recipients.push_back({recipients.size(), item.at("address").get<std::string>(),
                            std::string(content.substr(offset, length)), false});
      offset += length;
    }
    if (recipients.empty()) return sdk::Error{"no recipients"};
    if (offset != content.size()) return sdk::Error{"trailing bytes after the last message"};
    return std::make_pair(std::move(envelope), std::move(recipients));
  } catch (const std::exception& e) {
    return sdk::Error{std::string("bad envelope line: ") + e.what()};
  }
}

}  // namespace

ClaimedEntry::ClaimedEntry(std::string name, int fd, OutboxEnvelope envelope, std::vector<Recipient> recipients) noexcept
    : name_(std::move(name)), fd_(fd), envelope_(std::move(envelope)), recipients_(std::move(recipients)) {}

ClaimedEntry::ClaimedEntry(ClaimedEntry&& other) noexcept
    : name_(std::move(other.name_)),
      fd_(std::exchange(other.fd_, -1)),
      envelope_(std::move(other.envelope_)),
      recipients_(std::move(other.recipients_)) {}

ClaimedEntry::~ClaimedEntry() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

sdk::Result<Outbox::Written> Outbox::write_file(const OutboxEnvelope& envelope, const std::vector<OutboxItem>& items,
                                                bool keep_locked) const {
  if (items.empty()) return sdk::Error{"outbox: nothing to queue"};
  const std::string name = new_name();
  const std::string temp = dir_ + "/" + std::string(temp_prefix) + name;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return sdk::Error{"outbox: cannot create " + temp + ": " + errno_text()};
  const auto fail = [&](const std::string& what) -> sdk::Error {
    const std::string reason = errno_text();
    ::close(fd);
    ::unlink(temp.c_str());
    return sdk::Error{"outbox: " + what + " " + temp + ": " + reason};
  };
  if (keep_locked && ::flock(fd, LOCK_EX | LOCK_NB) != 0) return fail("cannot lock");
  if (!write_all(fd, header_line(envelope, items))) return fail("cannot write");
  for (const OutboxItem& item : items) {
    if (!write_all(fd, item.message)) return fail("cannot write");
  }
  if (::fsync(fd) != 0) return fail("cannot fsync");
  const std::string path = dir_ + "/" + name;
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("cannot rename");
  if (auto synced = sync_dir(dir_); !synced) {
    // Complete, but its name may not survive a crash: not durable, so not queued.
    ::unlink(path.c_str());
    ::close(fd);
    return sdk::Error{"outbox: " + synced.error().message};
  }
  if (!keep_locked) {
    ::close(fd);
    return Written{name, -1};
  }
  return Written{name, fd};
}

sdk::Result<std::string> Outbox::put(const OutboxEnvelope& envelope, const std::vector<OutboxItem>& items) const {
  auto written = write_file(envelope, items, false);
  if (!written) return written.error();
  return written.value().name;
}

sdk::Result<ClaimedEntry> Outbox::put_claimed(const OutboxEnvelope& envelope, const std::vector<OutboxItem>& items) const {
  auto written = write_file(envelope, items, true);
  if (!written) return written.error();
  std::vector<ClaimedEntry::Recipient> recipients;
  for (const OutboxItem& item : items) recipients.push_back({recipients.size(), item.recipient, item.message, false});
  return ClaimedEntry(written.value().name, written.value().fd, envelope, std::move(recipients));
}

sdk::Result<std::vector<std::string>> Outbox::pending() const {
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) return sdk::Error{"outbox: cannot read " + dir_ + ": " + errno_text()};
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name.empty() || name.front() == '.' || name.size() <= suffix.size() || !ends_with(name, suffix)) continue;
    names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Outbox::marker(const ClaimedEntry& entry, std::size_t index) const {
  return dir_ + "/" + entry.name() + "." + std::to_string(index) + std::string(marker_suffix);
}

sdk::Result<std::optional<ClaimedEntry>> Outbox::claim(const std::string& name) const {
  const std::string path = dir_ + "/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<ClaimedEntry>();
    return sdk::Error{"outbox: cannot open " + path + ": " + errno_text()};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::optional<ClaimedEntry>();  // another sender has it
  }
  // The holder before us may have finished it and removed it: only the file still under
  // this name counts.
  struct stat by_fd {};
  struct stat by_name {};
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_name) != 0 || by_fd.st_ino != by_name.st_ino ||
      by_fd.st_dev != by_name.st_dev) {
    ::close(fd);
    return std::optional<ClaimedEntry>();
  }
  std::string content(static_cast<std::size_t>(by_fd.st_size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::pread(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  auto parsed = parse_file(content);
  if (!parsed) {
    auto moved = move_to_failed(name, "unreadable outbox file: " + parsed.error().message + "\n");
    ::close(fd);
    return sdk::Error{"outbox: " + path + ": " + parsed.error().message +
                      (moved ? ", moved to failed/" : ", could not move it: " + moved.error().message)};
  }
  ClaimedEntry entry(name, fd, std::move(parsed.value().first), std::move(parsed.value().second));
  for (ClaimedEntry::Recipient& recipient : entry.recipients()) {
    struct stat info {};
    recipient.done = ::stat(marker(entry, recipient.index).c_str(), &info) == 0;
  }
  return std::optional<ClaimedEntry>(std::move(entry));
}

sdk::Status Outbox::mark_delivered(ClaimedEntry& entry, std::size_t position) const {
  ClaimedEntry::Recipient& recipient = entry.recipients().at(position);
  const std::string path = marker(entry, recipient.index);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return sdk::Error{"outbox: cannot create " + path + ": " + errno_text()};
  ::close(fd);
  if (auto synced = sync_dir(dir_); !synced) return sdk::Error{"outbox: " + synced.error().message};
  recipient.done = true;
  return {};
}

sdk::Status Outbox::mark_failed(ClaimedEntry& entry, std::size_t position, std::string_view reason) const {
  const ClaimedEntry::Recipient& recipient = entry.recipients().at(position);
  const std::string failed = dir_ + "/failed";
  if (::mkdir(failed.c_str(), 0700) != 0 && errno != EEXIST) {
    return sdk::Error{"outbox: cannot create " + failed + ": " + errno_text()};
  }
  // What the admin needs to resend it by hand: the envelope and the message.
  const std::string base = entry.name() + "." + std::to_string(recipient.index);
  std::string text(reason);
  if (text.empty() || text.back() != '\n') text += '\n';
  text += "envelope from: <" + entry.envelope().envelope_from + ">\nrecipient: <" + recipient.address + ">\n";
  if (auto written = write_small_file(failed, base + ".eml", recipient.message); !written) {
    return sdk::Error{"outbox: " + written.error().message};
  }
  if (auto written = write_small_file(failed, base + ".reason", text); !written) {
    return sdk::Error{"outbox: " + written.error().message};
  }
  if (auto synced = sync_dir(failed); !synced) return sdk::Error{"outbox: " + synced.error().message};
  return mark_delivered(entry, position);
}

sdk::Status Outbox::remove(ClaimedEntry entry) const {
  const std::string path = dir_ + "/" + entry.name();
  // The file first: markers without their file are harmless (cleaned up at start).
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sdk::Error{"outbox: cannot remove " + path + ": " + errno_text()};
  if (auto synced = sync_dir(dir_); !synced) return sdk::Error{"outbox: " + synced.error().message};
  for (const ClaimedEntry::Recipient& recipient : entry.recipients()) ::unlink(marker(entry, recipient.index).c_str());
  return {};
}

sdk::Status Outbox::move_to_failed(const std::string& name, std::string_view reason) const {
  const std::string failed = dir_ + "/failed";
  if (::mkdir(failed.c_str(), 0700) != 0 && errno != EEXIST) return sdk::Error{"cannot create " + failed + ": " + errno_text()};
  if (auto written = write_small_file(failed, name + ".reason", reason); !written) return written;
  if (::rename((dir_ + "/" + name).c_str(), (failed + "/" + name).c_str()) != 0) {
    return sdk::Error{"cannot move " + name + " to " + failed + ": " + errno_text()};
  }
  if (auto synced = sync_dir(failed); !synced) return synced;
  return sync_dir(dir_);
}

void Outbox::remove_leftovers(std::int64_t max_age_seconds) const {
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) return;
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::vector<std::string> doomed;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    const std::string path = dir_ + "/" + std::string(name);
    struct stat info {};
    if (name.substr(0, temp_prefix.size()) == temp_prefix) {
      if (::stat(path.c_str(), &info) == 0 && now - info.st_mtime > max_age_seconds) doomed.push_back(path);
    } else if (ends_with(name, marker_suffix)) {
      // "<file>.msg.<index>.done": gone file → stale marker.
      const std::size_t msg_end = name.rfind(std::string(suffix) + ".");
      if (msg_end != std::string_view::npos &&
          ::stat((dir_ + "/" + std::string(name.substr(0, msg_end + suffix.size()))).c_str(), &info) != 0) {
        doomed.push_back(path);
      }
    }
  }
  ::closedir(dir);
  for (const std::string& path : doomed) ::unlink(path.c_str());
}

}  // namespace qmilter::notification_email
