// SQLite's process-wide settings (see the header).
#include "sqlite_tuning.hpp"

#include <sqlite3.h>

#include <mutex>

namespace qmilter::odbc {

void tune_sqlite_for_concurrent_lookups() noexcept {
  static std::once_flag once;
  // Each call answers SQLITE_MISUSE when SQLite is already initialised (another user in this
  // process came first): lookups then still work, only slower.
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, static_cast<void*>(nullptr), 0, 0);
  });
}

}  // namespace qmilter::odbc
