// quarantine_type = none: the message is not kept anywhere (pyquarantine's NONE).
#include <memory>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

class NoneStore final : public QuarantineStore {
 public:
  static std::vector<OptionSpec> option_schema() { return {}; }
  static Result<std::unique_ptr<NoneStore>> create(const Options&, const PluginContext&) {
    return std::make_unique<NoneStore>();
  }

  bool keeps_messages() const override { return false; }
  Result<std::string> store(const MessageView&, const std::vector<std::string>&, const Match&) override {
    return std::string();
  }
  Result<std::vector<StoredEntry>> find(const EntryFilter&) const override { return nothing_kept(); }
  Result<StoredEntry> entry(const std::string&) const override { return nothing_kept(); }
  Status read(const std::string&, const ChunkVisitor&) const override { return nothing_kept(); }
  Status remove_recipient(const std::string&, const std::string&) override { return nothing_kept(); }
  Status remove(const std::string&) override { return nothing_kept(); }

 private:
  static Error nothing_kept() { return Error{"quarantine type 'none' keeps no messages"}; }
};

}  // namespace

QMILTER_PLUGIN(NoneStore, "none", "1.0.0", "Keeps nothing: quarantined mail is dropped")
