// The FILE quarantine store: crash-safe store(), and the admin side qmilterctl uses.
#include "file_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <iterator>
#include <optional>
#include <thread>
#include <unordered_set>

#include "metadata_json.hpp"
#include "qmilter/sdk/durable_file.hpp"
#include "quarantine_id.hpp"

namespace qmilter::quarantine_file {

namespace {

constexpr std::size_t read_chunk_size = 64 * 1024;
constexpr std::time_t stale_temporary_age = 3600;  // a write never takes an hour: older ones are crash leftovers

std::string error_text(int error) { return std::strerror(error); }

// Reads a whole (small) file below the store's directory.
sdk::Result<std::string> read_small_file(int dir_fd, const std::string& name, int& error) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    error = errno;
    return sdk::Error{error_text(error)};
  }
  // A listing reads 100,000 of these: no fstat, and a short read means end of file (a
  // regular file only returns less than asked at its end), so most take a single read.
  std::string text;
  char buffer[16384];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      error = errno;
      return sdk::Error{error_text(error)};
    }
    text.append(buffer, static_cast<std::size_t>(got));
    if (static_cast<std::size_t>(got) < sizeof buffer) break;
  }
  error = 0;
  return text;
}

// An exclusive lock on the quarantine directory for the admin side's read-modify-write
// operations. A fresh descriptor each time, so that the lock excludes other threads too.
class DirectoryLock {
 public:
  explicit DirectoryLock(int dir_fd) : fd_(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_.valid()) {
      while (::flock(fd_.get(), LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }

 private:
  UniqueFd fd_;  // closing it releases the lock
};

// Whether `needle` can appear in the JSON text only as itself (so a substring test may
// safely skip documents that cannot match before parsing them).
bool plain_json_string(const std::string& needle) {
  return std::all_of(needle.begin(), needle.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '/'; });
}

bool mentions_any(const std::string& text, const std::vector<std::string>& needles) {
  for (const std::string& needle : needles) {
    if (!plain_json_string(needle)) return true;  // cannot tell without parsing
    if (text.find("\"" + needle + "\"") != std::string::npos) return true;
  }
  return false;
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

std::vector<sdk::OptionSpec> FileStore::option_schema() {
  return {
      {"quarantine_directory", sdk::OptionType::path, true, "",
       "Where the messages go: it must exist and be writable"},
      {"quarantine_file_mode", sdk::OptionType::octal_mode, false, "0600", "Permissions of the stored files, whatever the umask"},
  };
}

sdk::Result<std::unique_ptr<FileStore>> FileStore::create(const sdk::Options& options,
                                                          const sdk::PluginContext& context) {
  const std::string directory = options.string("quarantine_directory");
  if (directory.empty()) return sdk::Error{"quarantine_directory: is empty"};
  const auto mode = static_cast<mode_t>(options.mode("quarantine_file_mode"));  // parsed and bounded by the host

  struct stat info {};
  if (::stat(directory.c_str(), &info) != 0) {
    if (errno == ENOENT) return sdk::Error{"quarantine_directory: '" + directory + "' does not exist"};
    return sdk::Error{"quarantine_directory: '" + directory + "': " + error_text(errno)};
  }
  if (!S_ISDIR(info.st_mode)) return sdk::Error{"quarantine_directory: '" + directory + "' is not a directory"};
  UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return sdk::Error{"quarantine_directory: '" + directory + "': " + error_text(errno)};

  // Writability is tested by writing, not with access(): root passes access(W_OK) on a
  // read-only file system or an immutable directory, and would then fail on every message.
  {
    auto probe = sdk::DurableFile::create(fd.get(), directory, mode);
    if (!probe.ok()) return sdk::Error{"quarantine_directory: '" + directory + "' is not writable: " + probe.error().message};
    if (auto synced = probe.value().sync(); !synced.ok()) {
      return sdk::Error{"quarantine_directory: '" + directory + "' is not writable: " + synced.error().message};
    }
  }  // the probe removes itself

  auto store = std::make_unique<FileStore>(directory, std::move(fd), mode, context.logger);
  if (context.role == sdk::Role::daemon) store->sweep_temporary_files();
  return store;
}

FileStore::FileStore(std::string directory, UniqueFd directory_fd, mode_t mode, sdk::Logger* logger)
    : directory_(std::move(directory)),
      directory_fd_(std::move(directory_fd)),
      directory_sync_(std::make_unique<DirectorySync>(directory_fd_.get(), directory_)),
      mode_(mode),
      notes_(directory_fd_.get(), directory_, mode),
      logger_(logger) {}

sdk::Result<std::string> FileStore::store(const sdk::MessageView& message, const std::vector<std::string>& recipients,
                                          const sdk::Match& match) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));

  // Data file: headers as "Name: value\n", an empty line, the body streamed as received.
  auto data = sdk::DurableFile::create(directory_fd_.get(), directory_, mode_);
  if (!data.ok()) return data.error();
  if (auto written = data.value().write(sdk::stored_header_section(message)); !written.ok()) return written.error();
  sdk::Status body_written;
  sdk::Status body_read = message.read_body([&](std::string_view chunk) {
    body_written = data.value().write(chunk);
    return body_written.ok();
  });
  if (!body_written.ok()) return body_written.error();
  if (!body_read.ok()) return sdk::Error{"cannot read the message body: " + body_read.error().message};

  auto metadata = sdk::DurableFile::create(directory_fd_.get(), directory_, mode_);
  if (!metadata.ok()) return metadata.error();
  if (auto written = metadata.value().write(metadata_json(message, recipients, match, now)); !written.ok()) {
    return written.error();
  }

  // Both contents are durable before either gets its final name. Their writes go out
  // together and the two syncs wait on them side by side instead of one after the other.
  data.value().start_writeback();
  metadata.value().start_writeback();
  if (auto synced = data.value().sync_data(); !synced.ok()) return synced.error();
  if (auto synced = metadata.value().sync_data(); !synced.ok()) return synced.error();

  // Claim an id by linking the data file under it: link() fails on an existing name, so two
  // messages with the same queue id in the same second get distinct ids and nothing is
  // overwritten. A stray metadata file without data also makes the name count as taken.
  const std::string base = make_id(now, message.queue_id());
  std::string id;
  for (unsigned attempt = 0; id.empty(); ++attempt) {
    if (attempt == max_id_attempts) return sdk::Error{"no free quarantine id for " + base + " in " + directory_};
    std::string candidate = id_candidate(base, attempt);
    // Every id stored must be one qmilterctl can name: the same check it applies.
    if (auto problem = id_problem(candidate)) {
      return sdk::Error{"made an unusable quarantine id '" + candidate + "': " + *problem};
    }
    std::string candidate_metadata = candidate + std::string(metadata_suffix);
    if (::faccessat(directory_fd_.get(), candidate_metadata.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) continue;
    auto claim = data.value().link_as(candidate);
    if (!claim.ok()) return claim.error();
    if (claim.value() == sdk::DurableFile::Claim::done) id = std::move(candidate);
  }
  // One directory fsync, shared with concurrent stores, makes both names durable. It needs
  // no fsync between the two names: a file system without a journal may write the metadata
  // name to disk before the data name, but an entry is listed only when both names exist
  // (find), so a crash between them leaves an unlisted, never a half, entry.
  auto claim = metadata.value().link_as(id + std::string(metadata_suffix));
  if (!claim.ok() || claim.value() == sdk::DurableFile::Claim::taken) {
    ::unlinkat(directory_fd_.get(), id.c_str(), 0);
    return claim.ok() ? sdk::Error{"metadata file for " + id + " appeared while storing it"} : claim.error();
  }
  if (auto synced = directory_sync_->sync(); !synced.ok()) return synced.error();
  return id;
}

sdk::Error FileStore::unknown_id(const std::string& id) const {
  return sdk::Error{"unknown quarantine id '" + id + "' (no such entry in " + directory_ + ")", sdk::ErrorKind::not_found};
}

sdk::Result<std::string> FileStore::metadata_text(const std::string& id) const {
  if (auto problem = id_problem(id)) return sdk::Error{"invalid quarantine id '" + id + "': " + *problem};
  int error = 0;
  auto text = read_small_file(directory_fd_.get(), id + std::string(metadata_suffix), error);
  if (!text.ok()) {
    if (error == ENOENT) return unknown_id(id);
    return sdk::Error{"cannot read metadata of '" + id + "' in " + directory_ + ": " + text.error().message};
  }
  return text;
}

sdk::Result<std::vector<sdk::StoredEntry>> FileStore::find(const sdk::EntryFilter& filter) const {
  int listing_fd = ::openat(directory_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing_fd < 0) return sdk::Error{"cannot list " + directory_ + ": " + error_text(errno)};
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(listing_fd), ::closedir);
  if (!listing) {
    int error = errno;
    ::close(listing_fd);
    return sdk::Error{"cannot list " + directory_ + ": " + error_text(error)};
  }
  // Only finished entries: temporary files start with '.', and an entry exists once both
  // its names do (the data file is named first, but a crash may leave either one alone).
  std::vector<std::string> ids;
  std::unordered_set<std::string> data_names;
  while (const dirent* item = ::readdir(listing.get())) {
    std::string_view name(item->d_name);
    if (name.empty() || name.front() == '.') continue;
    if (name.size() <= metadata_suffix.size() || name.substr(name.size() - metadata_suffix.size()) != metadata_suffix) {
      data_names.emplace(name);
      continue;
    }
    std::string id(name.substr(0, name.size() - metadata_suffix.size()));
    if (!id_problem(id)) ids.push_back(std::move(id));
  }
  ids.erase(std::remove_if(ids.begin(), ids.end(),
                           [&](const std::string& id) {
                             if (data_names.count(id)) return false;
                             logger_->warning("", "quarantine entry '" + id + "' in " + directory_ +
                                                      " has metadata but no data file (not listed)");
                             return true;
                           }),
            ids.end());

  // Reading and parsing is spread over a few threads: a directory of 100,000 entries is
  // mostly system calls and JSON, both of which parallelise.
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  const std::size_t workers =
      ids.size() < 2000 ? 1 : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  std::vector<std::vector<sdk::StoredEntry>> found(workers);
  std::vector<std::optional<sdk::Error>> failures(workers);
  auto scan = [&](std::size_t worker) {
    try {
      for (std::size_t i = worker; i < ids.size(); i += workers) {
        const std::string& id = ids[i];
        int error = 0;
        auto text = read_small_file(directory_fd_.get(), id + std::string(metadata_suffix), error);
        if (!text.ok()) {
          if (error == ENOENT) continue;  // removed while listing
          failures[worker] = sdk::Error{"cannot read metadata of '" + id + "' in " + directory_ + ": " +
                                        text.error().message};
          return;
        }
        // Cheap test before parsing: with 100,000 entries most documents are skipped here.
        if (!filter.to.empty() && !mentions_any(text.value(), filter.to)) continue;
        if (!filter.from.empty() && !mentions_any(text.value(), filter.from)) continue;

        auto parsed = parse_metadata(id, text.value());
        if (!parsed.ok()) {
          logger_->warning("", parsed.error().message + " (entry skipped)");
          continue;
        }
        if (!sdk::entry_matches(filter, parsed.value(), now)) continue;
        sdk::keep_only_headers(filter, parsed.value());
        found[worker].push_back(std::move(parsed).value());
      }
    } catch (const std::exception& e) {
      failures[worker] = sdk::Error{std::string("cannot list ") + directory_ + ": " + e.what()};
    }
  };
  std::vector<std::thread> threads;
  std::size_t started = 1;
  try {
    for (; started < workers; ++started) threads.emplace_back(scan, started);
  } catch (const std::exception&) {
    // No more threads: this one does the rest.
  }
  for (std::size_t w = started; w < workers; ++w) scan(w);
  scan(0);
  for (std::thread& t : threads) t.join();
  for (auto& failure : failures) {
    if (failure) return *failure;
  }

  // Sized once and each part freed as soon as it is moved: with 100,000 entries the
  // vectors alone are tens of MB, and growing one while all parts are held doubles that.
  std::size_t total = 0;
  for (const auto& part : found) total += part.size();
  std::vector<sdk::StoredEntry> entries;
  entries.reserve(total);
  for (auto& part : found) {
    std::move(part.begin(), part.end(), std::back_inserter(entries));
    std::vector<sdk::StoredEntry>().swap(part);
  }
  std::sort(entries.begin(), entries.end(),
            [](const sdk::StoredEntry& a, const sdk::StoredEntry& b) { return a.id < b.id; });
  return entries;
}

sdk::Result<sdk::StoredEntry> FileStore::entry(const std::string& id) const {
  auto text = metadata_text(id);
  if (!text.ok()) return text.error();
  return parse_metadata(id, text.value());
}

sdk::Status FileStore::read(const std::string& id, const sdk::ChunkVisitor& visit) const {
  auto text = metadata_text(id);  // only listed entries are readable
  if (!text.ok()) return text.error();
  UniqueFd fd(::openat(directory_fd_.get(), id.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid() && errno == ENOENT) return unknown_id(id);  // removed since the metadata was read
  if (!fd.valid()) return sdk::Error{"cannot open data file of '" + id + "' in " + directory_ + ": " + error_text(errno)};
  std::string buffer(read_chunk_size, '\0');
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return sdk::Error{"cannot read data file of '" + id + "' in " + directory_ + ": " + error_text(errno)};
    }
    if (got == 0) return {};
    if (!visit(std::string_view(buffer.data(), static_cast<std::size_t>(got)))) return {};
  }
}

sdk::Status FileStore::remove_recipient(const std::string& id, const std::string& recipient) {
  DirectoryLock lock(directory_fd_.get());
  auto text = metadata_text(id);
  if (!text.ok()) return text.error();
  auto entry = parse_metadata(id, text.value());
  if (!entry.ok()) return entry.error();
  const auto& recipients = entry.value().recipients;
  if (!contains(recipients, recipient)) {
    return sdk::Error{"'" + recipient + "' is not a recipient of quarantine entry '" + id + "'",
                      sdk::ErrorKind::not_found};
  }
  if (recipients.size() == 1) return remove_unlocked(id);

  auto rewritten = metadata_without_recipient(id, text.value(), recipient);
  if (!rewritten.ok()) return rewritten.error();
  return write_metadata(id, rewritten.value());
}

sdk::Status FileStore::write_metadata(const std::string& id, const std::string& text) {
  return sdk::write_file_durably(directory_fd_.get(), directory_, id + std::string(metadata_suffix), text, mode_);
}

sdk::Result<sdk::RecipientClaim> FileStore::claim_recipient(const std::string& id, const std::string& recipient,
                                                            std::int64_t now) {
  DirectoryLock lock(directory_fd_.get());
  auto text = metadata_text(id);
  if (!text.ok()) return text.error();
  auto entry = parse_metadata(id, text.value());
  if (!entry.ok()) return entry.error();
  if (!contains(entry.value().recipients, recipient)) {
    return sdk::Error{"'" + recipient + "' is not (or no longer) a recipient of quarantine entry '" + id + "'",
                      sdk::ErrorKind::not_found};
  }
  auto recorded = recorded_claim(id, text.value(), recipient);
  if (!recorded.ok()) return recorded.error();
  if (recorded.value() && now - recorded.value()->since < sdk::claim_lifetime_seconds) {
    return sdk::Error{"'" + recipient + "' of quarantine entry '" + id + "' is being released by another admin (since " +
                          std::to_string(recorded.value()->since) + ")",
                      sdk::ErrorKind::not_found};
  }
  sdk::RecipientClaim claim{id, recipient, sdk::new_claim_token(), now};
  auto claimed = metadata_with_claim(id, text.value(), recipient, RecordedClaim{claim.token, claim.since});
  if (!claimed.ok()) return claimed.error();
  if (sdk::Status written = write_metadata(id, claimed.value()); !written.ok()) return written.error();
  return claim;
}

sdk::Result<std::string> FileStore::metadata_of_claim(const sdk::RecipientClaim& claim) const {
  auto text = metadata_text(claim.id);
  if (!text.ok()) return text.error().not_found() ? lost_claim(claim) : text.error();
  auto recorded = recorded_claim(claim.id, text.value(), claim.recipient);
  if (!recorded.ok()) return recorded.error();
  if (!recorded.value() || recorded.value()->token != claim.token) return lost_claim(claim);
  return text;
}

sdk::Status FileStore::finish_claim(const sdk::RecipientClaim& claim) {
  DirectoryLock lock(directory_fd_.get());
  auto text = metadata_of_claim(claim);
  if (!text.ok()) return text.error();
  auto entry = parse_metadata(claim.id, text.value());
  if (!entry.ok()) return entry.error();
  if (entry.value().recipients.size() == 1) return remove_unlocked(claim.id);
  auto rewritten = metadata_without_recipient(claim.id, text.value(), claim.recipient);
  if (!rewritten.ok()) return rewritten.error();
  return write_metadata(claim.id, rewritten.value());
}

sdk::Status FileStore::abandon_claim(const sdk::RecipientClaim& claim) {
  DirectoryLock lock(directory_fd_.get());
  auto text = metadata_of_claim(claim);
  if (!text.ok()) return text.error();
  auto rewritten = metadata_with_claim(claim.id, text.value(), claim.recipient, std::nullopt);
  if (!rewritten.ok()) return rewritten.error();
  return write_metadata(claim.id, rewritten.value());
}

sdk::Status FileStore::remove(const std::string& id) {
  DirectoryLock lock(directory_fd_.get());
  return remove_unlocked(id);
}

sdk::Status FileStore::remove_unlocked(const std::string& id) {
  if (auto problem = id_problem(id)) return sdk::Error{"invalid quarantine id '" + id + "': " + *problem};
  // Metadata first: the entry disappears from listings at once, and a crash in between
  // leaves an unlisted data file rather than an entry without its message.
  const std::string metadata_name = id + std::string(metadata_suffix);
  if (::unlinkat(directory_fd_.get(), metadata_name.c_str(), 0) != 0) {
    if (errno == ENOENT) return unknown_id(id);
    return sdk::Error{"cannot remove " + directory_ + "/" + metadata_name + ": " + error_text(errno)};
  }
  if (::unlinkat(directory_fd_.get(), id.c_str(), 0) != 0 && errno != ENOENT) {
    return sdk::Error{"cannot remove " + directory_ + "/" + id + ": " + error_text(errno)};
  }
  return sdk::sync_directory(directory_fd_.get(), directory_);
}

sdk::Result<std::optional<sdk::Note>> FileStore::read_note(const std::string& key) const {
  if (!sdk::valid_note_key(key)) return sdk::Error{"not a note key: '" + key + "'"};
  return notes_.read(key);
}

sdk::Result<std::optional<std::int64_t>> FileStore::replace_note(const std::string& key,
                                                                 std::optional<std::int64_t> expected,
                                                                 const std::string& value) {
  if (!sdk::valid_note_key(key)) return sdk::Error{"not a note key: '" + key + "'"};
  return notes_.replace(key, expected, value);
}

void FileStore::sweep_temporary_files() const {
  int listing_fd = ::openat(directory_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing_fd < 0) return;
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(listing_fd), ::closedir);
  if (!listing) {
    ::close(listing_fd);
    return;
  }
  const std::time_t now = std::time(nullptr);
  while (const dirent* item = ::readdir(listing.get())) {
    if (!sdk::is_temporary_file_name(item->d_name)) continue;
    struct stat info {};
    if (::fstatat(directory_fd_.get(), item->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(info.st_mode) || now - info.st_mtime < stale_temporary_age) continue;
    if (::unlinkat(directory_fd_.get(), item->d_name, 0) == 0) {
      logger_->info("", std::string("removed the leftover of an interrupted write: ") + directory_ + "/" + item->d_name);
    }
  }
}

}  // namespace qmilter::quarantine_file
