// The store conformance suite accepts a store that keeps the contract: the in-memory
// reference store passes every test of it.
#include "qmilter/sdk/testing/store_conformance.hpp"

#include "memory_store.hpp"

namespace qmilter::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(MemoryStore, QuarantineStoreConformance, MemoryStoreFactory<Defect::none>);
}  // namespace qmilter::sdk::testing
