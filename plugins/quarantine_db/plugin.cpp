// The plugin's entry points: quarantine_type = db.
#include "db_store.hpp"

QMILTER_PLUGIN(qmilter::quarantine_db::DbStore, "db", "1.0.0",
               "Keeps quarantined mail in SQL tables through ODBC (PostgreSQL, MariaDB, SQLite), shared by every host")
