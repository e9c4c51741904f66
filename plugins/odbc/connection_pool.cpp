// The process-wide registry of connection pools (see the header).
#include "connection_pool.hpp"

#include <map>
#include <optional>
#include <tuple>

#include "connection_string.hpp"

namespace qmilter::odbc {

std::shared_ptr<ConnectionPool> ConnectionPool::for_string(const std::string& odbc, long timeout_seconds,
                                                           const std::string& password,
                                                           const std::string& timeout_option,
                                                           std::size_t max_active) {
  // weak_ptr: the pool (and its connections) goes away with the last instance using it,
  // e.g. when a reload drops a whitelist. Keyed by the option name too, so that an error
  // names the option of the plugin that made the pool.
  static std::mutex registry_mutex;
  static std::map<std::tuple<std::string, long, std::string, std::size_t>, std::weak_ptr<ConnectionPool>> registry;
  std::lock_guard lock(registry_mutex);
  auto key = std::make_tuple(odbc, timeout_seconds, timeout_option, max_active);
  if (auto existing = registry[key].lock()) return existing;
  auto pool = std::make_shared<ConnectionPool>(odbc, timeout_seconds, password, timeout_option, max_active);
  registry[key] = pool;
  return pool;
}

ConnectionPool::ConnectionPool(std::string odbc, long timeout_seconds, std::string password, std::string timeout_option,
                               std::size_t max_active)
    : odbc_(std::move(odbc)),
      timeout_seconds_(timeout_seconds),
      password_(std::move(password)),
      timeout_option_(std::move(timeout_option)),
      max_active_(max_active) {}

void ConnectionPool::take_place() {
  std::unique_lock lock(mutex_);
  if (max_active_ != 0 &&
      !place_free_.wait_for(lock, std::chrono::seconds(timeout_seconds_), [&] { return active_ < max_active_; })) {
    throw DatabaseError("all " + std::to_string(max_active_) + " connections stayed busy for " +
                        std::to_string(timeout_seconds_) + " s (" + timeout_option_ + ")");
  }
  ++active_;
}

void ConnectionPool::release_place() {
  {
    std::lock_guard lock(mutex_);
    --active_;
  }
  place_free_.notify_one();
}

ConnectionPool::Taken ConnectionPool::take(bool fresh) {
  take_place();
  // From here the place is the Taken's: freed with it, or here if connecting fails.
  std::unique_ptr<OdbcConnection> reused;
  if (!fresh) {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      reused = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (reused) return Taken(this, std::move(reused), true);
  try {
    return Taken(this, connect(), false);
  } catch (...) {
    release_place();
    throw;
  }
}

std::unique_ptr<OdbcConnection> ConnectionPool::connect() {
  // Connect outside the lock: a slow server must not block threads holding idle connections.
  const std::string odbc_string = odbc();
  auto connection = std::make_unique<OdbcConnection>(odbc_string, timeout_seconds_, password_);
  if (connection->family() != DbmsFamily::sqlite) return connection;
  sqlite_.store(true, std::memory_order_relaxed);
  const std::string busy_ms = std::to_string(sqlite_busy_timeout_ms(timeout_seconds_));
  const std::optional<std::string> own = odbc_attribute(odbc_string, "Timeout");
  if (own == busy_ms) return connection;
  // A DSN naming the SQLite driver (URLs and Driver= strings got the timeout when parsed):
  // odbc.ini may set any busy timeout, and none means the driver's 100 s.
  if (own) throw DatabaseError("the SQLite DSN's Timeout=" + *own + " is set: leave it out, SQLite's busy timeout follows " +
                              timeout_option_);
  {
    std::lock_guard lock(mutex_);
    odbc_ = with_odbc_attribute(odbc_, "Timeout", busy_ms);
  }
  return std::make_unique<OdbcConnection>(odbc(), timeout_seconds_, password_);
}

OdbcConnection& ConnectionPool::brief_writer() {
  if (brief_writer_ == nullptr) {
    brief_writer_ = std::make_unique<OdbcConnection>(
        with_odbc_attribute(odbc(), "Timeout", std::to_string(brief_write_busy_ms_)), timeout_seconds_, password_);
  }
  return *brief_writer_;
}

std::string ConnectionPool::odbc() const {
  std::lock_guard lock(mutex_);
  return odbc_;
}

void ConnectionPool::drop_idle() {
  std::vector<std::unique_ptr<OdbcConnection>> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(idle_);
  }
  // Disconnected outside the lock: closing a dead connection may wait on the network.
}

void ConnectionPool::give_back(std::unique_ptr<OdbcConnection> connection) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
}

std::size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

}  // namespace qmilter::odbc
