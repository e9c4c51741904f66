// quarantine_type = <path of quarantine_misbehaving.so>: a store that breaks the store
// contract on purpose, for the tests of what qmilterctl checks itself. find() ignores every
// filter, remove_recipient() leaves an entry with no recipients in place, and every admin
// call appends "<method> <id>" to <misbehaving_directory>/calls, so a test can see which
// ids reached the store. Entries are files <id>.entry written by the test:
//   from <mailfrom>
//   date <unix time>
//   to <recipient>          (one line per recipient)
// Ids are matched against the directory listing, never opened as paths. While a file
// <misbehaving_directory>/down exists, every admin call fails as a store that cannot be
// reached would (a failure, not "no such entry").
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;
namespace fs = std::filesystem;

constexpr std::string_view entry_suffix = ".entry";

class MisbehavingStore final : public QuarantineStore {
 public:
  explicit MisbehavingStore(fs::path directory) : directory_(std::move(directory)) {}

  static std::vector<OptionSpec> option_schema() {
    return {{"misbehaving_directory", OptionType::path, true, "", "where the test keeps the entries"}};
  }
  static Result<std::unique_ptr<MisbehavingStore>> create(const Options& options, const PluginContext&) {
    return std::make_unique<MisbehavingStore>(options.string("misbehaving_directory"));
  }

  bool keeps_messages() const override { return true; }

  Result<std::string> store(const MessageView&, const std::vector<std::string>&, const Match&) override {
    return Error{"the misbehaving test store serves qmilterctl only"};
  }

  Result<std::vector<StoredEntry>> find(const EntryFilter&) const override {
    record("find", "");
    std::vector<StoredEntry> entries;
    for (const std::string& id : ids()) {
      auto loaded = load(id);
      if (!loaded.ok()) return loaded.error();
      entries.push_back(std::move(loaded).value());
    }
    return entries;
  }

  Result<StoredEntry> entry(const std::string& id) const override {
    record("entry", id);
    return load(id);
  }

  Status read(const std::string& id, const ChunkVisitor& visit) const override {
    record("read", id);
    if (is_down()) return down();
    if (!known(id)) return unknown(id);
    visit("Subject: kept by the misbehaving store\n\nbody of " + id + "\r\n");
    return {};
  }

  Status remove_recipient(const std::string& id, const std::string& recipient) override {
    record("remove_recipient", id);
    auto loaded = load(id);
    if (!loaded.ok()) return loaded.error();
    StoredEntry entry = std::move(loaded).value();
    std::erase(entry.recipients, recipient);
    // The misbehaviour: the entry stays even when no recipient is left.
    std::ofstream out(directory_ / (id + std::string(entry_suffix)), std::ios::trunc);
    out << "from " << entry.mailfrom << "\ndate " << entry.date << '\n';
    for (const std::string& r : entry.recipients) out << "to " << r << '\n';
    if (!out.flush()) return Error{"cannot rewrite entry '" + id + "'"};
    return {};
  }

  Status remove(const std::string& id) override {
    record("remove", id);
    if (is_down()) return down();
    if (!known(id)) return unknown(id);
    std::error_code error;
    fs::remove(directory_ / (id + std::string(entry_suffix)), error);
    if (error) return Error{"cannot remove entry '" + id + "': " + error.message()};
    return {};
  }

 private:
  void record(const char* method, const std::string& id) const {
    std::ofstream(directory_ / "calls", std::ios::app) << method << ' ' << id << '\n';
  }

  std::vector<std::string> ids() const {
    std::vector<std::string> found;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(directory_, error)) {
      std::string name = item.path().filename().string();
      if (name.size() > entry_suffix.size() && name.ends_with(entry_suffix)) {
        found.push_back(name.substr(0, name.size() - entry_suffix.size()));
      }
    }
    return found;
  }

  bool known(const std::string& id) const {
    for (const std::string& candidate : ids()) {
      if (candidate == id) return true;
    }
    return false;
  }

  static Error unknown(const std::string& id) { return Error{"no quarantine entry '" + id + "'", ErrorKind::not_found}; }

  bool is_down() const { return fs::exists(directory_ / "down"); }
  static Error down() { return Error{"the misbehaving store is down (the test made it so)"}; }

  Result<StoredEntry> load(const std::string& id) const {
    if (is_down()) return down();
    if (!known(id)) return unknown(id);
    std::ifstream in(directory_ / (id + std::string(entry_suffix)));
    StoredEntry entry;
    entry.id = id;
    entry.queue_id = id;
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("from ", 0) == 0) entry.mailfrom = line.substr(5);
      if (line.rfind("date ", 0) == 0) entry.date = std::stoll(line.substr(5));
      if (line.rfind("to ", 0) == 0) entry.recipients.push_back(line.substr(3));
    }
    return entry;
  }

  fs::path directory_;
};

}  // namespace

QMILTER_PLUGIN(MisbehavingStore, "misbehaving", "1.0.0", "Breaks the store contract on purpose (tests only)")
