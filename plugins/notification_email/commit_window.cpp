// The window's state lives on the heap and is never freed: a sender thread an old
// generation detached may still touch it while exit() runs the static destructors.
#include "commit_window.hpp"

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace qmilter::notification_email {
namespace {

struct Window {
  std::mutex mutex;  // guards everything below
  std::condition_variable left;
  bool exiting = false;
  std::size_t inside = 0;
  std::chrono::steady_clock::time_point latest_deadline{};
};

Window& window() {
  static Window* const instance = new Window;
  return *instance;
}

// Its destructor runs during exit(): after main() returned, before the process ends.
struct ExitWait {
  ~ExitWait() {
    Window& w = window();
    std::unique_lock lock(w.mutex);
    w.exiting = true;
    w.left.wait_until(lock, w.latest_deadline, [&] { return w.inside == 0; });
  }
};

}  // namespace

bool CommitTicket::enter(std::chrono::steady_clock::time_point deadline) noexcept {
  if (inside_) return true;
  Window& w = window();
  std::lock_guard lock(w.mutex);
  if (w.exiting) return false;
  ++w.inside;
  if (deadline > w.latest_deadline) w.latest_deadline = deadline;
  inside_ = true;
  return true;
}

void CommitTicket::leave() noexcept {
  if (!inside_) return;
  inside_ = false;
  Window& w = window();
  {
    std::lock_guard lock(w.mutex);
    --w.inside;
  }
  w.left.notify_all();
}

bool process_exiting() noexcept {
  Window& w = window();
  std::lock_guard lock(w.mutex);
  return w.exiting;
}

void wait_for_commits_at_exit() noexcept {
  window();
  static ExitWait wait;
  (void)wait;
}

}  // namespace qmilter::notification_email
