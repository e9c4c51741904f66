// Lookups made at the same moment share one query. While a lookup's query runs, the lookups
// of other milter threads queue; the next free thread runs one query for all of them and
// hands each its own rows. Under load that replaces N round trips - and N database
// processes taking turns on the CPUs - by a few (PostgreSQL at 16 concurrent messages on 2
// CPUs: see BENCHMARKS.md); alone, a lookup runs its query at once as before.
// Thread-safe; one per whitelist instance (the rows come from that instance's table).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "whitelist_table.hpp"

namespace qmilter::whitelist_db {

class LookupBatcher {
 public:
  // Fetches the rows whose mailfrom is in `mailfroms` and recipient is in `recipients`, in
  // the order the query gave them. May throw (a DatabaseError from the database).
  using Query = std::function<std::vector<CandidateRow>(const std::vector<std::string>& mailfroms,
                                                        const std::vector<std::string>& recipients)>;

  // `parallel`: queries in flight at once. `max_wait`: how long a lookup waits for others'
  // queries before giving up (a hung database must not hold every milter thread).
  // `max_values`: bound on a shared query's values (mailfroms + recipients), below every
  // driver's parameter limit.
  LookupBatcher(Query query, std::size_t parallel, std::chrono::milliseconds max_wait, std::size_t max_values = 400);

  // The rows `query` would give for these lists, fetched alone or with concurrent lookups.
  // Rethrows the query's exception (every lookup of a failed shared query gets it); throws
  // DatabaseError when `max_wait` passes while other lookups' queries hold every slot.
  std::vector<CandidateRow> candidates(const std::vector<std::string>& mailfroms,
                                       const std::vector<std::string>& recipients);

  // Queries run so far, and lookups waiting to be taken into one (to see the sharing in
  // tests and benchmarks).
  std::size_t queries_run() const;
  std::size_t lookups_waiting() const;

 private:
  struct Lookup;
  struct Batch;
  Batch take_batch(const std::shared_ptr<Lookup>& own);
  void run(const Batch& batch);

  const Query query_;
  const std::size_t parallel_;
  const std::chrono::milliseconds max_wait_;
  const std::size_t max_values_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  std::vector<std::shared_ptr<Lookup>> waiting_;  // not yet taken into a query
  std::size_t running_ = 0;                       // queries in flight
  std::size_t queries_run_ = 0;
};

}  // namespace qmilter::whitelist_db
