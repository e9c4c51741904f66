// File format: "QMILTER-NOTIFICATION 2\n", one line of JSON
//   {"envelope_from": "...", "queue_id": "...", "created": 1700000000,
//    "shared": [51234, 2048],
//    "recipients": [{"address": "...", "parts": [{"length": 1234}, {"shared": 0}, ...]}, ...]}
// then the shared pieces in order, then each recipient's own pieces ({"length": n}) in order.
// A recipient's message is its parts one after the other. Version 1 files (an earlier
// qmilter's: "recipients": [{"address": "...", "length": 1234}] and the whole messages) are
// still read. The version line lets a later qmilter read what an earlier one queued.
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

#include "qmilter/sdk/durable_file.hpp"

namespace qmilter::notification_email {
namespace {

constexpr std::string_view magic_line = "QMILTER-NOTIFICATION 2\n";
constexpr std::string_view magic_line_v1 = "QMILTER-NOTIFICATION 1\n";
constexpr std::size_t read_chunk = 64 * 1024;
// The envelope line grows with the recipients (about 100 bytes each): far below this.
constexpr std::size_t max_envelope_line = 16 * 1024 * 1024;
constexpr std::string_view suffix = ".msg";
constexpr std::string_view marker_suffix = ".done";
// An earlier qmilter named its temporary files so; a crash may have left some behind.
constexpr std::string_view old_temp_prefix = ".tmp-";

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

// Writes one small file of failed/ (a notification or its reason) crash-safely.
sdk::Status write_failed_file(const std::string& dir, const std::string& name, std::string_view content) {
  const sdk::OpenDirectory open(dir);
  if (open.fd() < 0) return sdk::Error{"cannot open " + dir + ": " + errno_text()};
  return sdk::write_file_durably(open.fd(), dir, name, content, 0600);
}

std::string header_line(const OutboxEnvelope& envelope, const OutboxBatch& batch) {
  nlohmann::json shared = nlohmann::json::array();
  for (const std::string& piece : batch.shared) shared.push_back(piece.size());
  nlohmann::json recipients = nlohmann::json::array();
  for (const OutboxItem& item : batch.items) {
    nlohmann::json parts = nlohmann::json::array();
    for (const OutboxPiece& piece : item.pieces) {
      if (piece.shared == OutboxPiece::own) {
        parts.push_back({{"length", piece.bytes.size()}});
      } else {
        parts.push_back({{"shared", piece.shared}});
      }
    }
    recipients.push_back({{"address", item.recipient}, {"parts", parts}});
  }
  const nlohmann::json json = {{"envelope_from", envelope.envelope_from},
                               {"queue_id", envelope.queue_id},
                               {"created", envelope.created},
                               {"shared", shared},
                               {"recipients", recipients}};
  // ensure_ascii keeps the line free of raw bytes a reader might choke on.
  return std::string(magic_line) + json.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
}

struct ParsedFile {
  OutboxEnvelope envelope;
  std::vector<ClaimedEntry::Recipient> recipients;
};

// Parses the envelope line (without its newline) of a file of `file_size` bytes whose data
// starts at `data_start`; the error says what is wrong with it.
sdk::Result<ParsedFile> parse_envelope(bool version_1, std::string_view line, std::uint64_t data_start,
                                       std::uint64_t file_size) {
  try {
    const auto json = nlohmann::json::parse(line);
    ParsedFile parsed;
    parsed.envelope.envelope_from = json.at("envelope_from").get<std::string>();
    parsed.envelope.queue_id = json.value("queue_id", std::string());
    parsed.envelope.created = json.value("created", std::int64_t{0});
    std::uint64_t offset = data_start;
    const auto take = [&](std::uint64_t length) -> std::optional<ClaimedEntry::Extent> {
      if (length > file_size - offset) return std::nullopt;
      const ClaimedEntry::Extent extent{offset, length};
      offset += length;
      return extent;
    };
    std::vector<ClaimedEntry::Extent> shared;
    if (!version_1) {
      for (const auto& length : json.at("shared")) {
        const auto extent = take(length.get<std::uint64_t>());
        if (!extent) return sdk::Error{"truncated shared piece"};
        shared.push_back(*extent);
      }
    }
    for (const auto& item : json.at("recipients")) {
      ClaimedEntry::Recipient recipient{parsed.recipients.size(), item.at("address").get<std::string>(), {}, false};
      if (version_1) {
        const auto extent = take(item.at("length").get<std::uint64_t>());
        if (!extent) return sdk::Error{"truncated message"};
        recipient.message.push_back(*extent);
      } else {
        for (const auto& part : item.at("parts")) {
          if (part.contains("shared")) {
            const auto index = part.at("shared").get<std::size_t>();
            if (index >= shared.size()) return sdk::Error{"a part names shared piece " + std::to_string(index) + " of " +
                                                          std::to_string(shared.size())};
            recipient.message.push_back(shared[index]);
          } else {
            const auto extent = take(part.at("length").get<std::uint64_t>());
            if (!extent) return sdk::Error{"truncated message"};
            recipient.message.push_back(*extent);
          }
        }
      }
      parsed.recipients.push_back(std::move(recipient));
    }
    if (parsed.recipients.empty()) return sdk::Error{"no recipients"};
    if (offset != file_size) return sdk::Error{"trailing bytes after the last message"};
    return parsed;
  } catch (const std::exception& e) {
    return sdk::Error{std::string("bad envelope line: ") + e.what()};
  }
}

// pread() until `length` bytes or the end of the file; the bytes read.
sdk::Result<std::string> read_at(int fd, std::uint64_t offset, std::size_t length) {
  std::string out(length, '\0');
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sdk::Error{"cannot read: " + errno_text()};
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
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

sdk::Status ClaimedEntry::read_message(const Recipient& recipient, const sdk::ChunkVisitor& visit) const {
  for (const Extent& extent : recipient.message) {
    for (std::uint64_t done = 0; done < extent.length;) {
      const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(read_chunk, extent.length - done));
      auto chunk = read_at(fd_, extent.offset + done, length);
      if (!chunk) return sdk::Error{"outbox: " + name_ + ": " + chunk.error().message};
      if (chunk.value().size() != length) return sdk::Error{"outbox: " + name_ + ": shorter than its envelope says"};
      if (!visit(chunk.value())) return {};
      done += length;
    }
  }
  return {};
}

sdk::Result<std::string> ClaimedEntry::message(const Recipient& recipient) const {
  std::string out;
  auto read = read_message(recipient, [&out](std::string_view chunk) {
    out.append(chunk);
    return true;
  });
  if (!read) return read.error();
  return out;
}

sdk::Result<Outbox::Written> Outbox::write_file(const OutboxEnvelope& envelope, const OutboxBatch& batch,
                                                bool keep_locked) const {
  if (batch.items.empty()) return sdk::Error{"outbox: nothing to queue"};
  for (const OutboxItem& item : batch.items) {
    for (const OutboxPiece& piece : item.pieces) {
      if (piece.shared != OutboxPiece::own && piece.shared >= batch.shared.size()) {
        return sdk::Error{"outbox: a piece names no shared piece (" + std::to_string(piece.shared) + " of " +
                          std::to_string(batch.shared.size()) + ")"};
      }
    }
  }
  const sdk::OpenDirectory dir(dir_);
  if (dir.fd() < 0) return sdk::Error{"outbox: cannot open " + dir_ + ": " + errno_text()};
  auto file = sdk::DurableFile::create(dir.fd(), dir_, 0600);
  if (!file) return sdk::Error{"outbox: " + file.error().message};
  const auto fail = [](const sdk::Status& status) { return sdk::Error{"outbox: " + status.error().message}; };
  if (keep_locked && ::flock(file.value().fd(), LOCK_EX | LOCK_NB) != 0) {
    return sdk::Error{"outbox: cannot lock a new file in " + dir_ + ": " + errno_text()};
  }
  if (auto written = file.value().write(header_line(envelope, batch)); !written) return fail(written);
  for (const std::string& piece : batch.shared) {
    if (auto written = file.value().write(piece); !written) return fail(written);
  }
  for (const OutboxItem& item : batch.items) {
    for (const OutboxPiece& piece : item.pieces) {
      if (piece.shared != OutboxPiece::own) continue;
      if (auto written = file.value().write(piece.bytes); !written) return fail(written);
    }
  }
  if (auto synced = file.value().sync(); !synced) return fail(synced);
  const std::string name = new_name();
  if (auto renamed = file.value().rename_over(name); !renamed) return fail(renamed);
  if (auto synced = sdk::sync_directory(dir.fd(), dir_); !synced) {
    // Complete, but its name may not survive a crash: not durable, so not queued.
    ::unlinkat(dir.fd(), name.c_str(), 0);
    return fail(synced);
  }
  if (!keep_locked) return Written{name, -1};
  return Written{name, file.value().release()};
}

sdk::Result<std::string> Outbox::put(const OutboxEnvelope& envelope, const OutboxBatch& batch) const {
  auto written = write_file(envelope, batch, false);
  if (!written) return written.error();
  return written.value().name;
}

sdk::Result<ClaimedEntry> Outbox::put_claimed(const OutboxEnvelope& envelope, const OutboxBatch& batch) const {
  auto written = write_file(envelope, batch, true);
  if (!written) return written.error();
  auto loaded = load(written.value().name, written.value().fd);
  if (!loaded) {
    ::close(written.value().fd);  // queued all the same: the daemon sends it
    return sdk::Error{"outbox: " + written.value().name + ": " + loaded.error().message};
  }
  return loaded;
}

sdk::Result<ClaimedEntry> Outbox::load(const std::string& name, int fd) const {
  const auto fail = [](const std::string& reason) -> sdk::Error { return sdk::Error{reason}; };
  struct stat info {};
  if (::fstat(fd, &info) != 0) return fail("cannot stat: " + errno_text());
  const auto file_size = static_cast<std::uint64_t>(info.st_size);
  // Only the envelope line is read now; the messages are read while they are sent.
  std::string head;
  std::size_t line_end = std::string::npos;
  while (line_end == std::string::npos) {
    if (head.size() >= file_size) return fail("truncated envelope line");
    if (head.size() > max_envelope_line) return fail("envelope line longer than " + std::to_string(max_envelope_line) + " bytes");
    auto chunk = read_at(fd, head.size(), read_chunk);
    if (!chunk) return fail(chunk.error().message);
    if (chunk.value().empty()) return fail("truncated envelope line");
    const std::size_t searched = head.size();
    head += chunk.value();
    if (head.size() > magic_line.size()) {
      line_end = head.find('\n', std::max(searched, magic_line.size()));
    }
  }
  const std::string_view first_line = std::string_view(head).substr(0, magic_line.size());
  const bool version_1 = first_line == magic_line_v1;
  if (!version_1 && first_line != magic_line) return fail("not a qmilter notification (bad first line)");
  auto parsed = parse_envelope(version_1, std::string_view(head).substr(magic_line.size(), line_end - magic_line.size()),
                               line_end + 1, file_size);
  if (!parsed) return fail(parsed.error().message);
  return ClaimedEntry(name, fd, std::move(parsed.value().envelope), std::move(parsed.value().recipients));
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
  auto loaded = load(name, fd);
  if (!loaded) {
    const std::string reason = loaded.error().message;
    auto moved = move_to_failed(name, "unreadable outbox file: " + reason + "\n");
    ::close(fd);
    return sdk::Error{"outbox: " + path + ": " + reason +
                      (moved ? ", moved to failed/" : ", could not move it: " + moved.error().message)};
  }
  ClaimedEntry entry = std::move(loaded).value();
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
  if (auto synced = sdk::sync_directory(dir_); !synced) return sdk::Error{"outbox: " + synced.error().message};
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
  auto message = entry.message(recipient);
  if (!message) return message.error();
  if (auto written = write_failed_file(failed, base + ".eml", message.value()); !written) {
    return sdk::Error{"outbox: " + written.error().message};
  }
  if (auto written = write_failed_file(failed, base + ".reason", text); !written) {
    return sdk::Error{"outbox: " + written.error().message};
  }
  return mark_delivered(entry, position);
}

sdk::Status Outbox::remove(ClaimedEntry entry) const {
  const std::string path = dir_ + "/" + entry.name();
  // The file first: markers without their file are harmless (cleaned up at start).
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sdk::Error{"outbox: cannot remove " + path + ": " + errno_text()};
  if (auto synced = sdk::sync_directory(dir_); !synced) return sdk::Error{"outbox: " + synced.error().message};
  for (const ClaimedEntry::Recipient& recipient : entry.recipients()) ::unlink(marker(entry, recipient.index).c_str());
  return {};
}

sdk::Status Outbox::move_to_failed(const std::string& name, std::string_view reason) const {
  const std::string failed = dir_ + "/failed";
  if (::mkdir(failed.c_str(), 0700) != 0 && errno != EEXIST) return sdk::Error{"cannot create " + failed + ": " + errno_text()};
  if (auto written = write_failed_file(failed, name + ".reason", reason); !written) return written;
  if (::rename((dir_ + "/" + name).c_str(), (failed + "/" + name).c_str()) != 0) {
    return sdk::Error{"cannot move " + name + " to " + failed + ": " + errno_text()};
  }
  if (auto synced = sdk::sync_directory(failed); !synced) return synced;
  return sdk::sync_directory(dir_);
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
    if (sdk::is_temporary_file_name(name) || name.starts_with(old_temp_prefix)) {
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
