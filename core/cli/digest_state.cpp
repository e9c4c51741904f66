// Lines of the state files, tab-separated (no field holds a tab or a line break: quarantine
// names come from the INI file, ids pass entry_id_problem(), recipients are checked mailboxes):
//   sent <quarantine> <id> <recipient>
//   ran <quarantine> <unix time>
// A journal's last line without its '\n' is a write a crash cut short; it is ignored (the
// digest it was about is sent again).
#include "core/cli/digest_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qmilter/sdk/durable_file.hpp"

namespace qmilter::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* snapshot_name = "reported";
constexpr const char* journal_name = "journal";
constexpr const char* lock_name = "lock";

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

sdk::Result<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::string();
    return sdk::Error{"cannot read " + path + ": " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return sdk::Error{"cannot read " + path};
  return text.str();
}

}  // namespace

std::string DigestState::key(std::string_view quarantine, std::string_view id, std::string_view recipient) {
  std::string k;
  k.reserve(quarantine.size() + id.size() + recipient.size() + 2);
  k.append(quarantine).append(1, '\t').append(id).append(1, '\t').append(recipient);
  return k;
}

sdk::Result<DigestState> DigestState::open(const std::string& state_dir, bool read_only) {
  if (state_dir.empty()) return sdk::Error{"[global] state_dir is not set: digests keep what they reported there"};
  const std::string dir = (fs::path(state_dir) / "digest").string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return sdk::Error{"cannot create " + dir + ": " + ec.message()};
  const std::string lock_path = dir + "/" + lock_name;
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return sdk::Error{"cannot open " + lock_path + ": " + std::strerror(errno)};
  DigestState state(dir, fd);
  // Waits for a run in progress: afterwards its digests are in the state read below.
  while (::flock(fd, read_only ? LOCK_SH : LOCK_EX) != 0) {
    if (errno != EINTR) return sdk::Error{"cannot lock " + lock_path + ": " + std::strerror(errno)};
  }
  if (auto loaded = state.load(); !loaded.ok()) return loaded.error();
  return state;
}

DigestState::DigestState(DigestState&& other) noexcept
    : dir_(std::move(other.dir_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      journal_fd_(std::exchange(other.journal_fd_, -1)),
      reported_(std::move(other.reported_)),
      last_runs_(std::move(other.last_runs_)) {}

DigestState::~DigestState() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

sdk::Status DigestState::apply_line(std::string_view line) {
  if (line.empty()) return {};
  const auto fields = fields_of(line);
  if (fields[0] == "sent" && fields.size() == 4) {
    reported_.insert(key(fields[1], fields[2], fields[3]));
    return {};
  }
  if (fields[0] == "ran" && fields.size() == 3) {
    try {
      last_runs_[std::string(fields[1])] = std::stoll(std::string(fields[2]));
      return {};
    } catch (const std::exception&) {
    }
  }
  return sdk::Error{"unreadable line in " + dir_ + ": '" + std::string(line.substr(0, 80)) + "'"};
}

sdk::Status DigestState::load() {
  for (const char* name : {snapshot_name, journal_name}) {
    auto text = read_whole(dir_ + "/" + name);
    if (!text.ok()) return text.error();
    std::string_view rest(text.value());
    while (!rest.empty()) {
      const std::size_t end = rest.find('\n');
      if (end == std::string_view::npos) break;  // cut short by a crash: not recorded
      if (auto applied = apply_line(rest.substr(0, end)); !applied.ok()) return applied;
      rest.remove_prefix(end + 1);
    }
  }
  return {};
}

bool DigestState::reported(std::string_view quarantine, std::string_view id, std::string_view recipient) const {
  return reported_.count(key(quarantine, id, recipient)) != 0;
}

std::int64_t DigestState::last_run(const std::string& quarantine) const {
  auto it = last_runs_.find(quarantine);
  return it == last_runs_.end() ? 0 : it->second;
}

sdk::Status DigestState::record(const std::string& recipient, const std::vector<Pair>& entries) {
  const std::string path = dir_ + "/" + journal_name;
  if (journal_fd_ < 0) {
    journal_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (journal_fd_ < 0) return sdk::Error{"cannot open " + path + ": " + std::strerror(errno)};
    // A line a crash cut short must not run into the first one appended now.
    if (auto started = sdk::write_all(journal_fd_, "\n"); started != 0) {
      return sdk::Error{"cannot write " + path + ": " + std::strerror(started)};
    }
  }
  std::string lines;
  for (const Pair& entry : entries) lines += "sent\t" + entry.quarantine + "\t" + entry.id + "\t" + recipient + "\n";
  // One write, then the sync: the recipient's lines are there together or (after a crash
  // before the sync) perhaps not at all.
  if (int error = sdk::write_all(journal_fd_, lines); error != 0) {
    return sdk::Error{"cannot write " + path + ": " + std::strerror(error)};
  }
  if (::fdatasync(journal_fd_) != 0) return sdk::Error{"cannot fdatasync " + path + ": " + std::strerror(errno)};
  for (const Pair& entry : entries) reported_.insert(key(entry.quarantine, entry.id, recipient));
  return {};
}

sdk::Status DigestState::finish(const std::vector<std::string>& quarantines, std::int64_t now,
                                const StillHeld& still_held) {
  std::string snapshot;
  for (const std::string& k : reported_) {
    const std::size_t first = k.find('\t');
    const std::size_t second = k.find('\t', first + 1);
    const std::string quarantine = k.substr(0, first);
    bool covered = false;
    for (const std::string& q : quarantines) covered = covered || q == quarantine;
    // An entry released, deleted or gone is never reported again: its line can go.
    if (covered && !still_held(quarantine, k.substr(first + 1, second - first - 1), k.substr(second + 1))) continue;
    snapshot += "sent\t" + k + "\n";
  }
  for (const std::string& q : quarantines) last_runs_[q] = now;
  for (const auto& [quarantine, when] : last_runs_) snapshot += "ran\t" + quarantine + "\t" + std::to_string(when) + "\n";

  const sdk::OpenDirectory dir(dir_);
  if (dir.fd() < 0) return sdk::Error{"cannot open directory " + dir_ + ": " + std::strerror(errno)};
  if (auto written = sdk::write_file_durably(dir.fd(), dir_, snapshot_name, snapshot, 0600); !written.ok()) {
    return written;
  }
  // The snapshot holds everything the journal said; a crash before this truncation only
  // makes the next run read the same lines twice.
  const std::string path = dir_ + "/" + journal_name;
  if (::truncate(path.c_str(), 0) != 0 && errno != ENOENT) {
    return sdk::Error{"cannot empty " + path + ": " + std::strerror(errno)};
  }
  return {};
}

}  // namespace qmilter::cli
