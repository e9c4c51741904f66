// The notifications whose end of data may be at a relay while their "delivered" marker is not
// on disk yet, counted for the whole process. When the process exits (static destruction,
// after the daemon has stopped), it waits for them — the sender threads of every
// configuration generation, also those an old generation left running — and lets no new one
// start its end of data. So a clean stop never leaves a delivered notification unmarked,
// which the next start would send again; only a crash can. Thread-safe.
#pragma once

#include <chrono>

namespace qmilter::notification_email {

// One notification's passage through the window; leaves it when destroyed.
class CommitTicket {
 public:
  CommitTicket() = default;
  ~CommitTicket() { leave(); }
  CommitTicket(const CommitTicket&) = delete;
  CommitTicket& operator=(const CommitTicket&) = delete;

  // Right before the message goes out: false once the process is exiting (then the caller
  // must abandon the transaction before its end of data). Exit waits for this ticket at most
  // until `deadline`.
  bool enter(std::chrono::steady_clock::time_point deadline) noexcept;
  // The outcome is recorded (marker written or the notification left pending).
  void leave() noexcept;

 private:
  bool inside_ = false;
};

// Whether the process is exiting: senders stop before their next notification.
bool process_exiting() noexcept;

// Makes the process wait at exit for the tickets inside the window; called by every sender
// before it starts, so the wait is registered before any ticket exists.
void wait_for_commits_at_exit() noexcept;

}  // namespace qmilter::notification_email
