// The FILE store runs the SDK's store conformance suite, as any third-party store can.
#include "qmilter/sdk/testing/store_conformance.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "file_store.hpp"
#include "qmilter/sdk/testing/options.hpp"
#include "quarantine_id.hpp"

namespace qmilter::quarantine_file {
namespace {

namespace fs = std::filesystem;

// A FILE store over a scratch directory of its own, removed with the factory.
class FileStoreFactory {
 public:
  FileStoreFactory()
      : directory_(fs::temp_directory_path() /
                   ("qmilter-file-conformance-" + std::to_string(::getpid()) + "-" + std::to_string(next_++))) {
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    context_.quarantine = "test";
    context_.logger = &logger_;
  }
  ~FileStoreFactory() { fs::remove_all(directory_); }
  FileStoreFactory(const FileStoreFactory&) = delete;
  FileStoreFactory& operator=(const FileStoreFactory&) = delete;

  std::unique_ptr<sdk::QuarantineStore> make() {
    auto made = FileStore::create(
        sdk::testing::make_options_for<FileStore>({{"quarantine_directory", directory_.string()}}), context_);
    if (!made.ok()) {
      ADD_FAILURE() << made.error().message;
      return nullptr;
    }
    return std::move(made).value();
  }

  // Another FileStore on the same directory, as a second qmilterctl opens it.
  std::unique_ptr<sdk::QuarantineStore> make_another() { return make(); }

  // The metadata's date is all the store reads an entry's age from.
  void backdate(sdk::QuarantineStore&, const std::string& id, std::int64_t seconds) {
    const fs::path metadata = directory_ / (id + std::string(metadata_suffix));
    std::ifstream in(metadata);
    auto document = nlohmann::ordered_json::parse(in);
    document["date"] = document["date"].get<std::int64_t>() - seconds;
    std::ofstream(metadata, std::ios::trunc) << document.dump(2);
  }

 private:
  static inline std::atomic<unsigned> next_{0};
  fs::path directory_;
  sdk::testing::CaptureLogger logger_;
  sdk::PluginContext context_;
};

}  // namespace
}  // namespace qmilter::quarantine_file

namespace qmilter::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(FileStore, QuarantineStoreConformance, quarantine_file::FileStoreFactory);
}  // namespace qmilter::sdk::testing
