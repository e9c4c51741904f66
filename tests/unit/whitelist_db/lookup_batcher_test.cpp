// LookupBatcher: lookups made while a query runs share the next one, and each gets exactly
// the rows its own lists select.
#include "lookup_batcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "odbc_connection.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::whitelist_db {
namespace {

// A table of (mailfrom, recipient) rows; the query returns those of every pair of the lists.
std::vector<CandidateRow> table() {
  return {{1, "", "a@example.com", "2020-01-01 00:00:00", false},
          {2, "x@sender.example", "b@example.com", "2020-01-01 00:00:00", false},
          {3, "@sender.example", "", "2020-01-01 00:00:00", true},
          {4, "Y@Sender.Example", "C@example.com", "2020-01-01 00:00:00", false}};
}

std::vector<CandidateRow> select(const std::vector<std::string>& mailfroms, const std::vector<std::string>& recipients) {
  std::vector<CandidateRow> out;
  auto in = [](const std::vector<std::string>& values, const std::string& value) {
    return std::find(values.begin(), values.end(), sdk::ascii_lower(value)) != values.end();
  };
  for (const CandidateRow& row : table()) {
    if (in(mailfroms, row.mailfrom) && in(recipients, row.recipient)) out.push_back(row);
  }
  return out;
}

std::vector<std::int64_t> ids(const std::vector<CandidateRow>& rows) {
  std::vector<std::int64_t> out;
  for (const CandidateRow& row : rows) out.push_back(row.id);
  return out;
}

// Holds the first query until `release()`, so that the lookups started meanwhile queue up.
class GatedQuery {
 public:
  std::vector<CandidateRow> operator()(const std::vector<std::string>& mailfroms,
                                       const std::vector<std::string>& recipients) {
    {
      std::unique_lock lock(mutex_);
      ++calls_;
      sizes_.push_back(mailfroms.size() + recipients.size());
      if (calls_ == 1) opened_.wait(lock, [&] { return released_; });
    }
    if (fail_) throw odbc::DatabaseError("server gone");
    return select(mailfroms, recipients);
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    opened_.notify_all();
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<std::size_t> sizes() const {
    std::lock_guard lock(mutex_);
    return sizes_;
  }
  std::atomic<bool> fail_{false};

 private:
  mutable std::mutex mutex_;
  std::condition_variable opened_;
  bool released_ = false;
  int calls_ = 0;
  std::vector<std::size_t> sizes_;
};

struct Lookup {
  std::vector<std::string> mailfroms;
  std::vector<std::string> recipients;
  std::vector<std::int64_t> expected;
};

const std::vector<Lookup>& lookups() {
  static const std::vector<Lookup> all = {
      {{"", "@other.example", "z@other.example"}, {"", "@example.com", "a@example.com"}, {1}},
      {{"", "@sender.example", "x@sender.example"}, {"", "@example.com", "b@example.com"}, {2, 3}},
      {{"", "@sender.example", "y@sender.example"}, {"", "@example.com", "c@example.com"}, {3, 4}},
      {{"", "@nobody.example", "n@nobody.example"}, {"", "@example.com", "d@example.com"}, {}},
  };
  return all;
}

// Waits (bounded) until `count` lookups wait to be taken into a query.
void wait_until_waiting(const LookupBatcher& batcher, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (batcher.lookups_waiting() < count && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(batcher.lookups_waiting(), count);
}

// Starts one lookup that blocks in the query, then `others` more, and waits until they queue.
template <class Check>
void run_queued(LookupBatcher& batcher, GatedQuery& query, std::size_t others, Check check) {
  std::vector<std::thread> threads;
  threads.emplace_back([&] { check(0, batcher.candidates(lookups()[0].mailfroms, lookups()[0].recipients)); });
  while (query.calls() == 0) std::this_thread::yield();
  for (std::size_t i = 1; i <= others; ++i) {
    threads.emplace_back([&, i] {
      const Lookup& lookup = lookups()[i % lookups().size()];
      check(i, batcher.candidates(lookup.mailfroms, lookup.recipients));
    });
  }
  wait_until_waiting(batcher, others);
  query.release();
  for (auto& thread : threads) thread.join();
}

TEST(LookupBatcher, ALookupAloneRunsItsOwnQuery) {
  GatedQuery query;
  query.release();
  LookupBatcher batcher([&](const auto& m, const auto& r) { return query(m, r); }, 1, std::chrono::seconds(30));
  for (const Lookup& lookup : lookups()) {
    EXPECT_EQ(ids(batcher.candidates(lookup.mailfroms, lookup.recipients)), lookup.expected);
  }
  EXPECT_EQ(query.calls(), 4);
}

TEST(LookupBatcher, LookupsQueuedBehindAQueryShareTheNextAndGetTheirOwnRows) {
  GatedQuery query;
  LookupBatcher batcher([&](const auto& m, const auto& r) { return query(m, r); }, 1, std::chrono::seconds(30));
  std::mutex mutex;
  std::vector<std::string> wrong;
  run_queued(batcher, query, 11, [&](std::size_t i, const std::vector<CandidateRow>& rows) {
    const Lookup& lookup = lookups()[i % lookups().size()];
    if (ids(rows) != lookup.expected) {
      std::lock_guard lock(mutex);
      wrong.push_back("lookup " + std::to_string(i));
    }
  });
  EXPECT_TRUE(wrong.empty()) << wrong.front();
  EXPECT_EQ(query.calls(), 2);  // the held one, then one for the 11 that queued behind it
  EXPECT_EQ(batcher.queries_run(), 2u);
}

TEST(LookupBatcher, ASharedQueryStaysUnderTheValueBound) {
  GatedQuery query;
  LookupBatcher batcher([&](const auto& m, const auto& r) { return query(m, r); }, 1, std::chrono::seconds(30), 12);
  run_queued(batcher, query, 7, [&](std::size_t i, const std::vector<CandidateRow>& rows) {
    EXPECT_EQ(ids(rows), lookups()[i % lookups().size()].expected);
  });
  for (std::size_t size : query.sizes()) EXPECT_LE(size, 12u);
  EXPECT_GT(query.calls(), 2);  // 7 queued lookups of 6 values do not fit in one query of 12
}

TEST(LookupBatcher, EveryLookupOfAFailedQueryGetsTheError) {
  GatedQuery query;
  query.fail_ = true;
  LookupBatcher batcher([&](const auto& m, const auto& r) { return query(m, r); }, 1, std::chrono::seconds(30));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      try {
        batcher.candidates(lookups()[1].mailfroms, lookups()[1].recipients);
      } catch (const odbc::DatabaseError& e) {
        if (std::string(e.what()) == "server gone") ++failures;
      }
    });
  }
  wait_until_waiting(batcher, 5);  // one holds the query, five queue behind it
  query.release();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 6);
  EXPECT_EQ(query.calls(), 2);
}

// A database that hangs holds the query slot; the lookups queued behind it give up after
// max_wait with an error (TEMPFAIL for their messages) instead of waiting with it.
TEST(LookupBatcher, LookupsQueuedBehindAHungQueryGiveUpAfterMaxWait) {
  GatedQuery query;
  LookupBatcher batcher([&](const auto& m, const auto& r) { return query(m, r); }, 1, std::chrono::milliseconds(200));
  std::thread held([&] { batcher.candidates(lookups()[0].mailfroms, lookups()[0].recipients); });
  while (query.calls() == 0) std::this_thread::yield();
  const auto started = std::chrono::steady_clock::now();
  try {
    batcher.candidates(lookups()[1].mailfroms, lookups()[1].recipients);
    ADD_FAILURE() << "a lookup behind a hung query returned";
  } catch (const odbc::DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("no answer within 200 ms"), std::string::npos) << e.what();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
  EXPECT_EQ(batcher.lookups_waiting(), 0u);  // it left the queue
  query.release();
  held.join();
  EXPECT_EQ(query.calls(), 1);
}

TEST(LookupBatcher, RowsAreMatchedWithoutAsciiCaseAsMariaDbCompares) {
  GatedQuery query;
  query.release();
  LookupBatcher batcher([&](const auto& m, const auto& r) { return query(m, r); }, 1, std::chrono::seconds(30));
  EXPECT_EQ(ids(batcher.candidates({"y@sender.example"}, {"c@example.com"})), (std::vector<std::int64_t>{4}));
}

}  // namespace
}  // namespace qmilter::whitelist_db
