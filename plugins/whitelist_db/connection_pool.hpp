// Database connections pooled per connection string and shared, process-wide, by every
// whitelist instance that names the same database. Thread-safe. A lease hands one connection
// to one thread; a connection that failed is dropped instead of returned, so the next use
// opens a fresh one and a database restart heals without restarting qmilter.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "odbc_connection.hpp"

namespace qmilter::whitelist_db {

class ConnectionPool {
 public:
  // The pool for this connection string, created on first use and kept while any instance
  // holds it. Instances with the same string share connections.
  static std::shared_ptr<ConnectionPool> for_string(const std::string& odbc, long timeout_seconds,
                                                    const std::string& password);

  ConnectionPool(std::string odbc, long timeout_seconds, std::string password);

  // Runs `work` on a pooled connection. When it throws DatabaseError on a connection that
  // had been idle in the pool (maybe broken by a server restart), that connection and every
  // other idle one (as old, as likely broken) are dropped and `work` is run once more on a
  // fresh connection (unless the failure was a timeout); `work` must therefore be safe to
  // repeat. So one call waits at most about 1.5 x the timeout.
  template <class Work>
  auto with_connection(Work&& work) -> decltype(work(std::declval<OdbcConnection&>()));

  std::size_t idle_count() const;
  long timeout_seconds() const noexcept { return timeout_seconds_; }

 private:
  struct Taken {
    std::unique_ptr<OdbcConnection> connection;
    bool reused = false;
  };
  Taken take(bool fresh);
  void drop_idle();
  void give_back(std::unique_ptr<OdbcConnection> connection);

  static constexpr std::size_t max_idle_ = 32;
  const std::string odbc_;
  const long timeout_seconds_;
  const std::string password_;
  mutable std::mutex mutex_;
  std::shared_mutex sqlite_writers_;  // see OdbcConnection::serialize_writes
  std::vector<std::unique_ptr<OdbcConnection>> idle_;
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

}  // namespace qmilter::whitelist_db
