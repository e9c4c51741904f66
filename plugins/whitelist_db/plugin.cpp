// The plugin's entry points: whitelist_type = db.
#include "db_whitelist.hpp"

QMILTER_PLUGIN(qmilter::whitelist_db::DbWhitelist, "db", "1.0.0",
               "Whitelist in an SQL table through ODBC (SQLite, PostgreSQL, MariaDB), pyquarantine-compatible")
