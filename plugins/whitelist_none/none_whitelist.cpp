// whitelist_type = none: nobody is whitelisted.
#include <memory>
#include <set>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

class NoneWhitelist final : public Whitelist {
 public:
  static std::vector<OptionSpec> option_schema() { return {}; }
  static Result<std::unique_ptr<NoneWhitelist>> create(const Options&, const PluginContext&) {
    return std::make_unique<NoneWhitelist>();
  }

  Result<std::set<std::string>> whitelisted(std::string_view, const std::vector<std::string>&) override {
    return std::set<std::string>();
  }
  Result<std::vector<WhitelistEntry>> list(const WhitelistFilter&) const override { return holds_nothing(); }
  Result<std::vector<WhitelistEntry>> covering(std::string_view, std::string_view) const override {
    return holds_nothing();
  }
  Result<std::int64_t> add(const WhitelistEntry&) override { return holds_nothing(); }
  Status remove(std::int64_t) override { return holds_nothing(); }
  Result<std::int64_t> purge() override { return holds_nothing(); }

 private:
  static Error holds_nothing() { return Error{"whitelist type 'none' holds no entries"}; }
};

}  // namespace

QMILTER_PLUGIN(NoneWhitelist, "none", "1.0.0", "Whitelists nobody")
