// Shared lookup queries (see the header).
#include "lookup_batcher.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "entry_address.hpp"
#include "odbc_connection.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::whitelist_db {

struct LookupBatcher::Lookup {
  std::vector<std::string> mailfroms;
  std::vector<std::string> recipients;
  std::vector<CandidateRow> rows;
  std::exception_ptr error;
  bool taken = false;  // in a query (running or done)
  bool done = false;
};

namespace {

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::size_t missing(const std::vector<std::string>& from, const std::vector<std::string>& values) {
  return static_cast<std::size_t>(
      std::count_if(values.begin(), values.end(), [&](const std::string& value) { return !contains(from, value); }));
}

void merge(std::vector<std::string>& into, const std::vector<std::string>& more) {
  for (const std::string& value : more) {
    if (!contains(into, value)) into.push_back(value);
  }
}

}  // namespace

// Lookups that one query answers, and the merged lists it asks for.
struct LookupBatcher::Batch {
  std::vector<std::shared_ptr<Lookup>> lookups;
  std::vector<std::string> mailfroms;
  std::vector<std::string> recipients;

  // Adds `lookup` unless the merged lists would pass `max_values` (the first always fits).
  bool add(const std::shared_ptr<Lookup>& lookup, std::size_t max_values) {
    const std::size_t grown = mailfroms.size() + recipients.size() + missing(mailfroms, lookup->mailfroms) +
                              missing(recipients, lookup->recipients);
    if (!lookups.empty() && grown > max_values) return false;
    merge(mailfroms, lookup->mailfroms);
    merge(recipients, lookup->recipients);
    lookups.push_back(lookup);
    lookup->taken = true;
    return true;
  }
};

LookupBatcher::LookupBatcher(Query query, std::size_t parallel, std::chrono::milliseconds max_wait,
                             std::size_t max_values)
    : query_(std::move(query)),
      parallel_(std::max<std::size_t>(parallel, 1)),
      max_wait_(max_wait),
      max_values_(max_values) {}

std::vector<CandidateRow> LookupBatcher::candidates(const std::vector<std::string>& mailfroms,
                                                    const std::vector<std::string>& recipients) {
  auto own = std::make_shared<Lookup>();
  own->mailfroms = mailfroms;
  own->recipients = recipients;
  std::unique_lock lock(mutex_);
  waiting_.push_back(own);
  const auto deadline = std::chrono::steady_clock::now() + max_wait_;
  while (!own->done) {
    if (!own->taken && running_ < parallel_) {
      // This thread runs the next query: for its own lookup and those waiting with it.
      Batch batch = take_batch(own);
      ++running_;
      ++queries_run_;
      lock.unlock();
      run(batch);
      lock.lock();
      --running_;
      for (auto& lookup : batch.lookups) lookup->done = true;
      finished_.notify_all();  // the batch's owners, and lookups waiting for a free slot
      continue;
    }
    if (finished_.wait_until(lock, deadline) == std::cv_status::timeout && !own->done) {
      // Left behind: a query that later takes it still fills it in, harmlessly.
      std::erase(waiting_, own);
      throw odbc::DatabaseError("no answer within " + std::to_string(max_wait_.count()) +
                          " ms: the queries ahead of this lookup have not finished");
    }
  }
  if (own->error) std::rethrow_exception(own->error);
  return std::move(own->rows);
}

LookupBatcher::Batch LookupBatcher::take_batch(const std::shared_ptr<Lookup>& own) {
  // Own lookup first (it always fits, whatever its size), then the longest waiting ones
  // while the merged lists stay under the bound.
  Batch batch;
  batch.add(own, max_values_);
  for (const auto& lookup : waiting_) {
    if (lookup != own) batch.add(lookup, max_values_);
  }
  std::erase_if(waiting_, [](const std::shared_ptr<Lookup>& lookup) { return lookup->taken; });
  return batch;
}

void LookupBatcher::run(const Batch& batch) {
  try {
    // The shared query returns the rows of every pair of the merged lists; each lookup keeps
    // those its own lists select, which are what its own query would have returned. Values
    // compare without ASCII case, as MariaDB's default collation does in the query.
    std::vector<CandidateRow> rows = query_(batch.mailfroms, batch.recipients);
    for (const CandidateRow& row : rows) {
      const std::string mailfrom = sdk::ascii_lower(row.mailfrom);
      const std::string recipient = sdk::ascii_lower(row.recipient);
      for (const auto& lookup : batch.lookups) {
        if (contains(lookup->mailfroms, mailfrom) && contains(lookup->recipients, recipient)) {
          lookup->rows.push_back(row);
        }
      }
    }
  } catch (...) {
    for (const auto& lookup : batch.lookups) lookup->error = std::current_exception();
  }
}

std::size_t LookupBatcher::queries_run() const {
  std::lock_guard lock(mutex_);
  return queries_run_;
}

std::size_t LookupBatcher::lookups_waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace qmilter::whitelist_db
