// What earlier digests reported: per quarantine, which (entry, recipient) pairs a digest
// was sent about and when the quarantine's last digest run ended. Kept in
// <state_dir>/digest/: `reported` (the state as of the last finished run, replaced
// crash-safely) and `journal` (one group of lines appended and fdatasync'ed after each
// digest the relay accepted). A crash between a relay's acceptance and that fdatasync sends
// that one recipient's digest again on the next run; no crash ever makes a run skip one.
//
// Runs exclude each other with an flock on <state_dir>/digest/lock, held for the whole run
// (a dry run shares it), so two runs at once on one host send each digest once. Quarantines
// whose store keeps notes keep their state there instead (digest_notes.hpp), shared by every
// host; this state then only carries what earlier versions recorded.
// Single-threaded; one instance per run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "qmilter/sdk/result.hpp"

namespace qmilter::cli {

class DigestState {
 public:
  // Creates the directory when needed, takes the lock (waiting for a run that holds it) and
  // reads what finished runs and the journal say. Exclusive unless `read_only`.
  static sdk::Result<DigestState> open(const std::string& state_dir, bool read_only);

  DigestState(DigestState&& other) noexcept;
  DigestState& operator=(DigestState&&) = delete;
  DigestState(const DigestState&) = delete;
  DigestState& operator=(const DigestState&) = delete;
  ~DigestState();

  bool reported(std::string_view quarantine, std::string_view id, std::string_view recipient) const;
  // When the last run that covered `quarantine` ended (Unix time), 0 if none did.
  std::int64_t last_run(const std::string& quarantine) const;

  struct Pair {
    std::string quarantine;
    std::string id;
  };
  // Durably notes that `recipient` got a digest listing these entries.
  sdk::Status record(const std::string& recipient, const std::vector<Pair>& entries);

  // Ends a run that covered `quarantines` at `now`: their pairs are kept only when `still_held`
  // (called as still_held(quarantine, id, recipient)) says the entry still holds the message
  // for that recipient, other quarantines' are kept as they are. Then the journal is emptied.
  using StillHeld = std::function<bool(const std::string& quarantine, const std::string& id, const std::string& recipient)>;
  sdk::Status finish(const std::vector<std::string>& quarantines, std::int64_t now, const StillHeld& still_held);

 private:
  DigestState(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  sdk::Status load();
  sdk::Status apply_line(std::string_view line);

  static std::string key(std::string_view quarantine, std::string_view id, std::string_view recipient);

  std::string dir_;
  int lock_fd_ = -1;
  int journal_fd_ = -1;  // open for appending once record() is first called
  std::unordered_set<std::string> reported_;       // key(): quarantine \t id \t recipient
  std::map<std::string, std::int64_t> last_runs_;  // quarantine → Unix time
};

}  // namespace qmilter::cli
