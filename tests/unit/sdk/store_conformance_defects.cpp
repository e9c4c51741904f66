// The store conformance suite run against stores that each break one rule. ctest runs one
// instantiation at a time and expects it to fail: a suite that passed a broken store would
// make that ctest test fail (see CMakeLists.txt).
#include "qmilter/sdk/testing/store_conformance.hpp"

#include "memory_store.hpp"

namespace qmilter::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ignores_filters, QuarantineStoreConformance,
                               MemoryStoreFactory<Defect::ignores_filters>);
INSTANTIATE_TYPED_TEST_SUITE_P(keeps_empty_entries, QuarantineStoreConformance,
                               MemoryStoreFactory<Defect::keeps_empty_entries>);
INSTANTIATE_TYPED_TEST_SUITE_P(reuses_ids, QuarantineStoreConformance, MemoryStoreFactory<Defect::reuses_ids>);
INSTANTIATE_TYPED_TEST_SUITE_P(drops_recipients, QuarantineStoreConformance,
                               MemoryStoreFactory<Defect::drops_recipients>);
INSTANTIATE_TYPED_TEST_SUITE_P(crlf_headers, QuarantineStoreConformance, MemoryStoreFactory<Defect::crlf_headers>);
INSTANTIATE_TYPED_TEST_SUITE_P(claims_race, QuarantineStoreConformance, MemoryStoreFactory<Defect::claims_race>);
INSTANTIATE_TYPED_TEST_SUITE_P(notes_race, QuarantineStoreConformance, MemoryStoreFactory<Defect::notes_race>);
}  // namespace qmilter::sdk::testing
