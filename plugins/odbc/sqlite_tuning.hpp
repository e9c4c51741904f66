// Process-wide SQLite settings that the SQLite3 ODBC driver cannot make itself.
#pragma once

namespace qmilter::odbc {

// Two SQLite defaults cost concurrent lookups dearly, and neither buys qmilter anything:
//  * memory statistics sit behind one process-wide mutex that every allocation takes, so
//    16 milter threads looking up at once queued on it (they only serve
//    sqlite3_soft_heap_limit, which nothing here uses);
//  * every page cache starts with a bulk allocation of 20 pages (about 90 KB), and a lookup
//    opens small temporary tables for its IN lists, each with its own cache: allocating and
//    freeing that much per lookup made glibc give the memory back and fault it in again on
//    every message. Without the bulk allocation a page is allocated when it is needed.
// The settings only take effect before SQLite initialises, i.e. before the process opens its
// first SQLite connection; later calls change nothing. Safe to call any number of times.
void tune_sqlite_for_concurrent_lookups() noexcept;

}  // namespace qmilter::odbc
