// The db store runs the SDK's store conformance suite, as any third-party store can: on
// SQLite here, on PostgreSQL and MariaDB through test_quarantine_db_backends.py.
#include "qmilter/sdk/testing/store_conformance.hpp"

#include "test_database.hpp"

namespace qmilter::quarantine_db {
namespace {

class DbStoreFactory {
 public:
  std::unique_ptr<sdk::QuarantineStore> make() { return database_.make(); }
  // Another store on the same tables, as a second host opens them.
  std::unique_ptr<sdk::QuarantineStore> make_another() { return database_.make(); }

  // The date column is all the store reads an entry's age from.
  void backdate(sdk::QuarantineStore&, const std::string& id, std::int64_t seconds) {
    std::int64_t changed = 0;
    database_.raw().execute("UPDATE " + database_.table("_entries") + " SET " + database_.q("date") + " = " +
                                database_.q("date") + " - ? WHERE " + database_.q("id") + " = ?",
                            {odbc::SqlParam::of_integer(seconds), odbc::SqlParam::of_text(id)}, &changed);
    ASSERT_EQ(changed, 1) << "no entry '" << id << "' to backdate";
  }

 private:
  testing::TestDatabase database_;
};

}  // namespace
}  // namespace qmilter::quarantine_db

namespace qmilter::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(DbStore, QuarantineStoreConformance, quarantine_db::DbStoreFactory);
}  // namespace qmilter::sdk::testing
