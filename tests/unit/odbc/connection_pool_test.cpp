// The pool's bound on connections in use (what the db quarantine sets), against SQLite files.
#include "connection_pool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "connection_string.hpp"

namespace qmilter::odbc {
namespace {

class BoundedPool : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qmilter-pool.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<ConnectionPool> pool(std::size_t max_active, long timeout) {
    auto parsed = parse_connection_string("sqlite:///" + dir_ + "/pool.db", "", timeout, {"x_connection", "x_timeout"});
    EXPECT_TRUE(parsed.ok());
    return std::make_shared<ConnectionPool>(parsed.value().odbc, timeout, "", "x_timeout", max_active);
  }

  std::string dir_;
};

TEST_F(BoundedPool, NeverMoreConnectionsInUseThanTheBound) {
  auto bounded = pool(2, 5);
  std::atomic<int> in_use{0};
  std::atomic<int> most{0};
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        bounded->with_connection([&](OdbcConnection& db) {
          int now = ++in_use;
          int seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          db.execute("SELECT 1");
          --in_use;
          ++runs;
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(runs.load(), 60);
  EXPECT_LE(most.load(), 2);
}

TEST_F(BoundedPool, AWaitBeyondTheTimeoutIsADatabaseErrorNamingTheOption) {
  auto bounded = pool(1, 1);
  std::mutex mutex;
  std::condition_variable changed;
  bool holding = false;
  bool second_done = false;
  std::thread holder([&] {
    bounded->with_connection([&](OdbcConnection&) {
      std::unique_lock lock(mutex);
      holding = true;
      changed.notify_all();
      changed.wait(lock, [&] { return second_done; });  // keep the only place until the other gave up
    });
  });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return holding; });
  }
  std::string error;
  try {
    bounded->with_connection([](OdbcConnection&) {});
  } catch (const DatabaseError& e) {
    error = e.what();
  }
  {
    std::lock_guard lock(mutex);
    second_done = true;
  }
  changed.notify_all();
  holder.join();
  EXPECT_NE(error.find("all 1 connections stayed busy for 1 s (x_timeout)"), std::string::npos) << error;
  // The place came back: the next caller gets a connection.
  EXPECT_NO_THROW(bounded->with_connection([](OdbcConnection& db) { db.execute("SELECT 1"); }));
}

}  // namespace
}  // namespace qmilter::odbc
