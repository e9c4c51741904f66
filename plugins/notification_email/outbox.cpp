// File format: "QMILTER-NOTIFICATION 1\n" + one line of JSON (the envelope) + "\n" + message.
// The version line lets a later qmilter read what an earlier one queued.
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
constexpr std::string_view temp_prefix = ".tmp-";

std::string errno_text() { return std::strerror(errno); }

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

// Writes a small file crash-safely (used for failed/<name>.reason).
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

sdk::Result<OutboxEnvelope> parse_envelope(std::string_view header_line) {
  try {
    const auto json = nlohmann::json::parse(header_line);
    OutboxEnvelope envelope;
    envelope.envelope_from = json.at("envelope_from").get<std::string>();
    envelope.recipient = json.at("recipient").get<std::string>();
    envelope.queue_id = json.value("queue_id", std::string());
    envelope.created = json.value("created", std::int64_t{0});
    if (envelope.recipient.empty()) return sdk::Error{"no recipient"};
    return envelope;
  } catch (const std::exception& e) {
    return sdk::Error{e.what()};
  }
}

}  // namespace

ClaimedEntry::ClaimedEntry(std::string name, int fd, OutboxEnvelope envelope, std::string message) noexcept
    : name_(std::move(name)), fd_(fd), envelope_(std::move(envelope)), message_(std::move(message)) {}

ClaimedEntry::ClaimedEntry(ClaimedEntry&& other) noexcept
    : name_(std::move(other.name_)),
      fd_(std::exchange(other.fd_, -1)),
      envelope_(std::move(other.envelope_)),
      message_(std::move(other.message_)) {}

ClaimedEntry::~ClaimedEntry() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

sdk::Result<std::vector<Outbox::Written>> Outbox::write_files(const std::vector<OutboxItem>& items,
                                                               bool keep_locked) const {
  struct Temp {
    std::string name;
    std::string temp;
    int fd = -1;
    bool renamed = false;
  };
  std::vector<Temp> temps;
  temps.reserve(items.size());
  // Undo everything on failure: nothing of this message stays queued.
  const auto fail = [&](const std::string& what) -> sdk::Error {
    const std::string reason = errno_text();
    for (Temp& t : temps) {
      if (t.fd >= 0) ::close(t.fd);
      ::unlink(t.renamed ? (dir_ + "/" + t.name).c_str() : t.temp.c_str());
    }
    return sdk::Error{"outbox: " + what + ": " + reason};
  };
  for (const OutboxItem& item : items) {
    Temp t;
    t.name = new_name();
    t.temp = dir_ + "/" + std::string(temp_prefix) + t.name;
    t.fd = ::open(t.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (t.fd < 0) return fail("cannot create " + t.temp);
    temps.push_back(t);
    if (keep_locked && ::flock(t.fd, LOCK_EX | LOCK_NB) != 0) return fail("cannot lock " + t.temp);
    const nlohmann::json json = {{"envelope_from", item.envelope.envelope_from},
                                 {"recipient", item.envelope.recipient},
                                 {"queue_id", item.envelope.queue_id},
                                 {"created", item.envelope.created}};
    // ensure_ascii keeps the line free of raw bytes a reader might choke on.
    const std::string header =
        std::string(magic_line) + json.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
    if (!write_all(t.fd, header) || !write_all(t.fd, item.message)) return fail("cannot write " + t.temp);
    if (::fsync(t.fd) != 0) return fail("cannot fsync " + t.temp);
  }
  for (Temp& t : temps) {
    if (::rename(t.temp.c_str(), (dir_ + "/" + t.name).c_str()) != 0) return fail("cannot rename " + t.temp);
    t.renamed = true;
  }
  if (auto synced = sync_dir(dir_); !synced) {
    // The files are complete but their names may not survive a crash: not durable, so not queued.
    (void)fail("cannot sync the directory");
    return sdk::Error{"outbox: " + synced.error().message};
  }
  std::vector<Written> written;
  for (Temp& t : temps) {
    if (!keep_locked) {
      ::close(t.fd);
      t.fd = -1;
    }
    written.push_back({t.name, t.fd});
  }
  return written;
}

sdk::Result<std::vector<std::string>> Outbox::put(const std::vector<OutboxItem>& items) const {
  auto written = write_files(items, false);
  if (!written) return written.error();
  std::vector<std::string> names;
  for (const Written& w : written.value()) names.push_back(w.name);
  return names;
}

sdk::Result<std::vector<ClaimedEntry>> Outbox::put_claimed(const std::vector<OutboxItem>& items) const {
  auto written = write_files(items, true);
  if (!written) return written.error();
  std::vector<ClaimedEntry> entries;
  for (std::size_t i = 0; i < items.size(); ++i) {
    entries.emplace_back(written.value()[i].name, written.value()[i].fd, items[i].envelope, items[i].message);
  }
  return entries;
}

sdk::Result<std::vector<std::string>> Outbox::pending() const {
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) return sdk::Error{"outbox: cannot read " + dir_ + ": " + errno_text()};
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name.empty() || name.front() == '.') continue;
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) continue;
    names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
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
  // The holder before us may have delivered and removed it (or moved it to failed/):
  // only the file still under this name counts.
  struct stat by_fd {};
  struct stat by_name {};
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_name) != 0 || by_fd.st_ino != by_name.st_ino ||
      by_fd.st_dev != by_name.st_dev) {
    ::close(fd);
    return std::optional<ClaimedEntry>();
  }
  std::string content;
  content.resize(static_cast<std::size_t>(by_fd.st_size));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::pread(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  std::string why;
  OutboxEnvelope envelope;
  std::size_t body_start = std::string::npos;
  if (content.compare(0, magic_line.size(), magic_line) != 0) {
    why = "not a qmilter notification (bad first line)";
  } else {
    const std::size_t line_end = content.find('\n', magic_line.size());
    if (line_end == std::string::npos) {
      why = "truncated envelope line";
    } else {
      auto parsed = parse_envelope(std::string_view(content).substr(magic_line.size(), line_end - magic_line.size()));
      if (parsed) {
        envelope = std::move(parsed).value();
        body_start = line_end + 1;
      } else {
        why = "bad envelope line: " + parsed.error().message;
      }
    }
  }
  if (body_start == std::string::npos) {
    auto moved = move_to_failed(name, "unreadable outbox file: " + why + "\n");
    ::close(fd);
    return sdk::Error{"outbox: " + path + ": " + why +
                      (moved ? ", moved to failed/" : ", could not move it: " + moved.error().message)};
  }
  return std::optional<ClaimedEntry>(ClaimedEntry(name, fd, std::move(envelope), content.substr(body_start)));
}

sdk::Status Outbox::remove(ClaimedEntry entry) const {
  const std::string path = dir_ + "/" + entry.name();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sdk::Error{"outbox: cannot remove " + path + ": " + errno_text()};
  return sync_dir(dir_);
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

sdk::Status Outbox::fail(ClaimedEntry entry, std::string_view reason) const {
  std::string text(reason);
  if (text.empty() || text.back() != '\n') text += '\n';
  if (auto moved = move_to_failed(entry.name(), text); !moved) return sdk::Error{"outbox: " + moved.error().message};
  return {};
}

void Outbox::remove_stale_temp_files(std::int64_t max_age_seconds) const {
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) return;
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name.substr(0, temp_prefix.size()) != temp_prefix) continue;
    const std::string path = dir_ + "/" + std::string(name);
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && now - info.st_mtime > max_age_seconds) ::unlink(path.c_str());
  }
  ::closedir(dir);
}

}  // namespace qmilter::notification_email
