// Database connections pooled per connection string and shared, process-wide, by every
// plugin instance (whitelist or quarantine) that names the same database. Thread-safe. A lease hands one connection
// to one thread; a connection that failed is dropped instead of returned, so the next use
// opens a fresh one and a database restart heals without restarting qmilter. On SQLite every
// connection waits at most the timeout for a locked file, and no thread waits for another's
// statement: the file's own locks arbitrate, and WAL lets readers run beside a writer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "odbc_connection.hpp"

namespace qmilter::odbc {

class ConnectionPool {
 public:
  // The pool for this connection string, created on first use and kept while any instance
  // holds it. Instances with the same string share connections.
  // `timeout_option` names the option that set the timeout, for error messages.
  // `max_active` bounds the connections in use at once (0 = no bound): a caller beyond it
  // waits up to the timeout for one to come free, then gets a DatabaseError.
  static std::shared_ptr<ConnectionPool> for_string(const std::string& odbc, long timeout_seconds,
                                                    const std::string& password, const std::string& timeout_option,
                                                    std::size_t max_active = 0);

  ConnectionPool(std::string odbc, long timeout_seconds, std::string password, std::string timeout_option,
                 std::size_t max_active = 0);

  // Runs `work` on a pooled connection. When it throws DatabaseError (but not DatabaseBusy) on a connection that
  // had been idle in the pool (maybe broken by a server restart), that connection and every
  // other idle one (as old, as likely broken) are dropped and `work` is run once more on a
  // fresh connection (unless the failure was a timeout); `work` must therefore be safe to
  // repeat. So one call waits at most about 1.5 x the timeout.
  template <class Work>
  auto with_connection(Work&& work) -> decltype(work(std::declval<OdbcConnection&>()));

  // Runs a write that may be left out, such as a last_used update, so that it never holds up
  // the lookup making it. On SQLite (one writer per file) it waits at most brief_write_wait_
  // for this process's previous such write, then at most about twice brief_write_busy_ms_
  // for the file's write lock, and throws DatabaseError when it could not write; elsewhere
  // it is with_connection().
  template <class Work>
  void with_brief_write(Work&& work);

  std::size_t idle_count() const;
  long timeout_seconds() const noexcept { return timeout_seconds_; }
  // Whether a connection has shown this to be a SQLite file (SQLite runs in this process).
  bool sqlite() const noexcept { return sqlite_.load(std::memory_order_relaxed); }

 private:
  // One connection in use, and its place among the max_active: the place is freed when the
  // Taken goes, on every way out of with_connection().
  struct Taken {
    Taken(ConnectionPool* pool, std::unique_ptr<OdbcConnection> taken, bool was_idle)
        : connection(std::move(taken)), reused(was_idle), pool_(pool) {}
    ~Taken() {
      if (pool_ != nullptr) pool_->release_place();
    }
    Taken(const Taken&) = delete;
    Taken& operator=(const Taken&) = delete;
    std::unique_ptr<OdbcConnection> connection;
    bool reused = false;

   private:
    ConnectionPool* pool_;
  };
  Taken take(bool fresh);
  void take_place();  // waits for a place among max_active_; throws DatabaseError after the timeout
  void release_place();
  std::unique_ptr<OdbcConnection> connect();
  OdbcConnection& brief_writer();  // with brief_write_mutex_ held
  std::string odbc() const;
  void drop_idle();
  void give_back(std::unique_ptr<OdbcConnection> connection);

  // Keep max_active_ (when set) at or below this, or the surplus is closed after each use
  // and every message pays a fresh login.
  static constexpr std::size_t max_idle_ = 32;
  static constexpr long brief_write_busy_ms_ = 25;
  static constexpr std::chrono::milliseconds brief_write_wait_{50};
  std::string odbc_;  // under mutex_: a SQLite DSN gets the busy timeout once it shows itself
  const long timeout_seconds_;
  const std::string password_;
  const std::string timeout_option_;
  const std::size_t max_active_;
  mutable std::mutex mutex_;
  std::condition_variable place_free_;
  std::size_t active_ = 0;  // under mutex_: connections in use
  std::vector<std::unique_ptr<OdbcConnection>> idle_;
  std::atomic<bool> sqlite_{false};
  std::timed_mutex brief_write_mutex_;
  std::unique_ptr<OdbcConnection> brief_writer_;  // under brief_write_mutex_; SQLite only
};

template <class Work>
auto ConnectionPool::with_connection(Work&& work) -> decltype(work(std::declval<OdbcConnection&>())) {
  for (int attempt = 0;; ++attempt) {
    Taken taken = take(attempt > 0);
    const auto started = std::chrono::steady_clock::now();
    try {
      if constexpr (std::is_void_v<decltype(work(*taken.connection))>) {
        work(*taken.connection);
        give_back(std::move(taken.connection));
        return;
      } else {
        auto result = work(*taken.connection);
        give_back(std::move(taken.connection));
        return result;
      }
    } catch (const DatabaseBusy&) {
      // A locked SQLite file: the connection is sound, and a retry would wait as long again.
      give_back(std::move(taken.connection));
      throw;
    } catch (const DatabaseError&) {
      // The connection is dropped (not given back). Only a reused one earns a retry: a fresh
      // connection failing means the database itself is refusing.
      if (!taken.reused || attempt > 0) throw;
      drop_idle();
      // A restarted server resets stale connections at once; a failure that took long was a
      // timeout, and a second try would double the milter's wait for the same answer.
      if (std::chrono::steady_clock::now() - started > std::chrono::milliseconds(timeout_seconds_ * 500)) throw;
    }
  }
}

template <class Work>
void ConnectionPool::with_brief_write(Work&& work) {
  if (!sqlite()) {
    with_connection(std::forward<Work>(work));
    return;
  }
  std::unique_lock lock(brief_write_mutex_, std::defer_lock);
  if (!lock.try_lock_for(brief_write_wait_)) throw DatabaseError("this process's previous write to the file is still waiting");
  try {
    work(brief_writer());
  } catch (const DatabaseError&) {
    brief_writer_.reset();  // as in the pool: a failed connection is not used again
    throw;
  }
}

}  // namespace qmilter::odbc
