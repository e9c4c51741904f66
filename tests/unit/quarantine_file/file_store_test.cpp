// The FILE store against a real directory: layout and metadata as pyquarantine wrote them,
// crash-safety leftovers never listed, no overwrite on id collision, admin operations.
#include "file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "qmilter/sdk/testing/fake_message.hpp"
#include "quarantine_id.hpp"

namespace qmilter::quarantine_file {
namespace {

namespace fs = std::filesystem;
using sdk::testing::CaptureLogger;
using sdk::testing::FakeMessage;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void spit(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A message whose body arrives in many chunks, the way the core's spool hands it over.
struct ChunkedMessage final : sdk::MessageView {
  FakeMessage base;
  std::size_t chunks = 0;
  std::string chunk;
  std::string_view queue_id() const noexcept override { return base.queue_id(); }
  std::string_view client_address() const noexcept override { return base.client_address(); }
  std::string_view sender() const noexcept override { return base.sender(); }
  const std::vector<std::string>& recipients() const noexcept override { return base.recipients(); }
  const std::vector<sdk::Header>& headers() const noexcept override { return base.headers(); }
  std::int64_t received_at() const noexcept override { return base.received_at(); }
  std::uint64_t body_size() const noexcept override { return chunks * chunk.size(); }
  sdk::Status read_body(const sdk::ChunkVisitor& visit) const noexcept override {
    for (std::size_t i = 0; i < chunks; ++i) {
      if (!visit(chunk)) break;
    }
    return {};
  }
};

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qmilter-file-store-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  sdk::Result<std::unique_ptr<FileStore>> make(std::map<std::string, sdk::OptionValue> extra = {},
                                               sdk::Role role = sdk::Role::daemon) {
    // The host would apply the schema's default mode.
    std::map<std::string, sdk::OptionValue> values{{"quarantine_directory", dir_.string()},
                                                   {"quarantine_file_mode", std::int64_t{0600}}};
    for (auto& [k, v] : extra) values[k] = v;
    sdk::PluginContext context;
    context.quarantine = "spam";
    context.role = role;
    context.logger = &logger_;
    return FileStore::create(sdk::Options("spam", values), context);
  }

  std::unique_ptr<FileStore> store() {
    auto made = make();
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
    return std::move(made).value();
  }

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const auto& item : fs::directory_iterator(dir_)) result.push_back(item.path().filename().string());
    std::sort(result.begin(), result.end());
    return result;
  }

  FakeMessage message() const {
    FakeMessage m;
    m.queue_id_value = "4ABC12DEF";
    m.sender_value = "sender@example.org";
    m.recipients_value = {"a@example.com", "b@example.com"};
    m.headers_value = {{"From", "Sender <sender@example.org>"},
                       {"Subject", "Spam \xc3\xa9t\xc3\xa9"},
                       {"X-Spam", "yes"},
                       {"Received", "one\n\tfolded"},
                       {"X-SPAM", "again"}};
    m.body_value = "line one\r\n.dot line\r\n\r\nlast\r\n";
    return m;
  }

  sdk::Match match() const {
    sdk::Match m;
    m.subject = "X-Spam: yes";
    m.groups = {std::string("yes"), std::nullopt};
    m.named = {{"flag", std::string("yes")}, {"missing", std::nullopt}};
    return m;
  }

  fs::path dir_;
  CaptureLogger logger_;
};

TEST_F(FileStoreTest, StoresDataFileWithHeadersEmptyLineAndBodyAsReceived) {
  auto s = store();
  auto id = s->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(slurp(dir_ / id.value()),
            "From: Sender <sender@example.org>\nSubject: Spam \xc3\xa9t\xc3\xa9\nX-Spam: yes\n"
            "Received: one\n\tfolded\nX-SPAM: again\n\nline one\r\n.dot line\r\n\r\nlast\r\n");
}

TEST_F(FileStoreTest, IdIsLocalTimestampUnderscoreQueueId) {
  auto s = store();
  std::time_t before = std::time(nullptr);
  auto id = s->store(message(), {"a@example.com"}, match());
  std::time_t after = std::time(nullptr);
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(id.value() == make_id(before, "4ABC12DEF") || id.value() == make_id(after, "4ABC12DEF")) << id.value();
}

TEST_F(FileStoreTest, MetadataIsPythonJsonDumpIndent2WithExactlyTheListedKeys) {
  auto s = store();
  std::int64_t before = std::time(nullptr);
  auto id = s->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(id.ok());
  std::string text = slurp(dir_ / (id.value() + ".metadata"));
  auto doc = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [k, v] : doc.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"mailfrom", "recipients", "headers", "date", "queue_id", "subgroups",
                                            "named_subgroups"}));
  std::int64_t date = doc["date"].get<std::int64_t>();
  EXPECT_GE(date, before);
  EXPECT_LE(date, before + 5);
  // Byte for byte what json.dump(metadata, f, indent=2) wrote (ensure_ascii, "key": value).
  std::string expected = R"({
  "mailfrom": "sender@example.org",
  "recipients": [
    "a@example.com"
  ],
  "headers": {
    "from": "Sender <sender@example.org>",
    "subject": "Spam \u00e9t\u00e9",
    "x-spam": "again",
    "received": "one\n\tfolded"
  },
  "date": )" + std::to_string(date) + R"(,
  "queue_id": "4ABC12DEF",
  "subgroups": [
    "yes",
    null
  ],
  "named_subgroups": {
    "flag": "yes",
    "missing": null
  }
})";
  EXPECT_EQ(text, expected);
}

TEST_F(FileStoreTest, FilesGetMode0600ByDefaultWhateverTheUmask) {
  mode_t old = ::umask(0);
  auto s = store();
  auto id = s->store(message(), {"a@example.com"}, match());
  ::umask(old);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(fs::status(dir_ / id.value()).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(dir_ / (id.value() + ".metadata")).permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(FileStoreTest, QuarantineFileModeSetsTheMode) {
  auto made = make({{"quarantine_file_mode", std::int64_t{0640}}});
  ASSERT_TRUE(made.ok());
  auto id = made.value()->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(fs::status(dir_ / id.value()).permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST_F(FileStoreTest, MissingDirectoryIsAnErrorNamingTheOption) {
  fs::remove_all(dir_);
  auto made = make();
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("quarantine_directory"), std::string::npos);
  EXPECT_NE(made.error().message.find(dir_.string()), std::string::npos);
}

TEST_F(FileStoreTest, DirectoryThatIsAFileIsAnError) {
  fs::remove_all(dir_);
  spit(dir_, "not a directory");
  auto made = make();
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("not a directory"), std::string::npos) << made.error().message;
  fs::remove(dir_);
  fs::create_directories(dir_);
}

TEST_F(FileStoreTest, UnwritableDirectoryIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere; the integration test covers a read-only mount";
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  auto made = make();
  fs::permissions(dir_, fs::perms::owner_all);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("not writable"), std::string::npos) << made.error().message;
}

TEST_F(FileStoreTest, LoadLeavesNoProbeFileBehind) {
  auto s = store();
  EXPECT_TRUE(names().empty());
}

TEST_F(FileStoreTest, BodyIsStreamedChunkByChunk) {
  auto s = store();
  ChunkedMessage big;
  big.base = message();
  big.chunk = std::string(65536, 'x') + "\r\n";
  big.chunks = 64;
  auto id = s->store(big, {"a@example.com"}, match());
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(fs::file_size(dir_ / id.value()),
            slurp(dir_ / id.value()).find("\n\n") + 2 + big.chunks * big.chunk.size());
}

TEST_F(FileStoreTest, SameQueueIdInTheSameSecondNeverOverwrites) {
  auto s = store();
  // Whatever second the store lands in, its plain id is taken: by a stray data file, by a
  // stray metadata file (without data), or by an earlier entry.
  std::time_t now = std::time(nullptr);
  for (std::time_t t = now; t < now + 3; ++t) {
    std::string taken = make_id(t, "4ABC12DEF");
    spit(dir_ / taken, "existing data");
    spit(dir_ / (taken + "_2.metadata"), "{}");
  }
  auto first = s->store(message(), {"a@example.com"}, match());
  auto second = s->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first.value(), second.value());
  EXPECT_EQ(first.value().substr(first.value().size() - 2), "_3");
  for (std::time_t t = now; t < now + 3; ++t) {
    EXPECT_EQ(slurp(dir_ / make_id(t, "4ABC12DEF")), "existing data");
    EXPECT_EQ(slurp(dir_ / (make_id(t, "4ABC12DEF") + "_2.metadata")), "{}");
  }
}

TEST_F(FileStoreTest, AnAgeFilterWhoseSecondsOverflowKeepsEveryRecentEntryOut) {
  auto s = store();
  ASSERT_TRUE(s->store(message(), {"a@example.com"}, match()).ok());
  for (std::int64_t days : {std::int64_t{200000000000000}, std::numeric_limits<std::int64_t>::max()}) {
    sdk::EntryFilter filter;
    filter.older_than_days = days;
    auto found = s->find(filter);
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found.value().empty()) << days << " days selected an entry stored just now";
  }
  sdk::EntryFilter any_age;
  any_age.older_than_days = 0;
  EXPECT_EQ(s->find(any_age).value().size(), 1u);
}

TEST_F(FileStoreTest, AVeryLongQueueIdIsStoredUnderAnIdTheAdminSideAccepts) {
  auto s = store();
  FakeMessage long_id = message();
  long_id.queue_id_value = std::string(300, 'Q');
  for (int copy = 0; copy < 2; ++copy) {
    auto id = s->store(long_id, {"a@example.com"}, match());
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_LE(id.value().size(), max_id_length);
    EXPECT_TRUE(s->entry(id.value()).ok());
  }
  auto found = s->find({});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value().size(), 2u);
  EXPECT_EQ(found.value()[0].queue_id, std::string(300, 'Q'));
}

TEST_F(FileStoreTest, LeftoversOfInterruptedWritesAreNeverListed) {
  auto s = store();
  auto id = s->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(id.ok());
  spit(dir_ / ".qmilter-abcdef.tmp", "{\"half\": ");
  spit(dir_ / "20200101000000_ORPHAN", "data without metadata");
  auto found = s->find({});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found.value().size(), 1u);
  EXPECT_EQ(found.value()[0].id, id.value());
}

// A file system without a journal may, after a crash, keep the metadata name and lose the
// data name that was created before it: such an entry is not listed, and a warning names it.
TEST_F(FileStoreTest, MetadataWithoutItsDataFileIsNotListed) {
  auto s = store();
  auto id = s->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(id.ok());
  fs::copy_file(dir_ / (id.value() + ".metadata"), dir_ / "20200101000000_NODATA.metadata");
  auto found = s->find({});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found.value().size(), 1u);
  EXPECT_EQ(found.value()[0].id, id.value());
  ASSERT_FALSE(logger_.lines().empty());
  EXPECT_NE(logger_.lines().back().find("'20200101000000_NODATA'"), std::string::npos);
  EXPECT_NE(logger_.lines().back().find("no data file"), std::string::npos);
}

TEST_F(FileStoreTest, StaleTemporaryFilesAreSweptAtDaemonStart) {
  spit(dir_ / ".qmilter-old.tmp", "x");
  spit(dir_ / ".qmilter-new.tmp", "x");
  fs::last_write_time(dir_ / ".qmilter-old.tmp", fs::file_time_type::clock::now() - std::chrono::hours(2));
  auto s = store();
  EXPECT_EQ(names(), (std::vector<std::string>{".qmilter-new.tmp"}));
}

TEST_F(FileStoreTest, CorruptMetadataIsSkippedWithAWarning) {
  auto s = store();
  spit(dir_ / "20200101000000_BROKEN", "data");
  spit(dir_ / "20200101000000_BROKEN.metadata", "{not json");
  auto found = s->find({});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found.value().empty());
  ASSERT_FALSE(logger_.lines().empty());
  EXPECT_NE(logger_.lines().back().find("20200101000000_BROKEN"), std::string::npos);
}

TEST_F(FileStoreTest, EntryReadsBackWhatWasStored) {
  auto s = store();
  auto id = s->store(message(), {"a@example.com", "b@example.com"}, match());
  ASSERT_TRUE(id.ok());
  auto entry = s->entry(id.value());
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  EXPECT_EQ(entry.value().id, id.value());
  EXPECT_EQ(entry.value().mailfrom, "sender@example.org");
  EXPECT_EQ(entry.value().recipients, (std::vector<std::string>{"a@example.com", "b@example.com"}));
  EXPECT_EQ(entry.value().headers.at("subject"), "Spam \xc3\xa9t\xc3\xa9");
  EXPECT_EQ(entry.value().headers.at("x-spam"), "again");
  EXPECT_EQ(entry.value().queue_id, "4ABC12DEF");
  ASSERT_EQ(entry.value().subgroups.size(), 2u);
  EXPECT_EQ(entry.value().subgroups[0], std::optional<std::string>("yes"));
  EXPECT_EQ(entry.value().subgroups[1], std::nullopt);
  ASSERT_EQ(entry.value().named_subgroups.size(), 2u);
  EXPECT_EQ(entry.value().named_subgroups[1].first, "missing");
  EXPECT_EQ(entry.value().named_subgroups[1].second, std::nullopt);
}

TEST_F(FileStoreTest, ReadGivesTheDataFileInChunks) {
  auto s = store();
  auto id = s->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(id.ok());
  std::string read;
  ASSERT_TRUE(s->read(id.value(), [&](std::string_view chunk) {
    read += chunk;
    return true;
  }).ok());
  EXPECT_EQ(read, slurp(dir_ / id.value()));
}

TEST_F(FileStoreTest, IdsThatAreNotPlainEntryNamesAreRefused) {
  auto s = store();
  spit(dir_ / "x.metadata", "{}");
  for (const char* bad : {"", "../x", "/etc/passwd", "a/b", "x.metadata", ".qmilter-abc.tmp", ".."}) {
    auto entry = s->entry(bad);
    ASSERT_FALSE(entry.ok()) << bad;
    EXPECT_NE(entry.error().message.find("invalid quarantine id"), std::string::npos) << entry.error().message;
    EXPECT_FALSE(s->read(bad, [](std::string_view) { return true; }).ok());
    EXPECT_FALSE(s->remove(bad).ok());
    EXPECT_FALSE(s->remove_recipient(bad, "a@example.com").ok());
  }
  EXPECT_TRUE(fs::exists(dir_ / "x.metadata"));
}

TEST_F(FileStoreTest, UnknownIdsAreRefused) {
  auto s = store();
  auto entry = s->entry("20200101000000_NOPE");
  ASSERT_FALSE(entry.ok());
  EXPECT_NE(entry.error().message.find("unknown quarantine id '20200101000000_NOPE'"), std::string::npos);
  EXPECT_FALSE(s->remove("20200101000000_NOPE").ok());
  EXPECT_FALSE(s->remove_recipient("20200101000000_NOPE", "a@example.com").ok());
}

TEST_F(FileStoreTest, FindFiltersBySenderRecipientAndAge) {
  auto s = store();
  FakeMessage m = message();
  auto one = s->store(m, {"a@example.com"}, match());
  m.sender_value = "other@example.net";
  auto two = s->store(m, {"b@example.com", "c@example.com"}, match());
  ASSERT_TRUE(one.ok() && two.ok());
  // An old entry written by hand the way the Python filter did.
  spit(dir_ / "20200101000000_OLD", "Subject: old\n\nbody\r\n");
  spit(dir_ / "20200101000000_OLD.metadata",
       R"({"mailfrom": "sender@example.org", "recipients": ["a@example.com"], "headers": {}, "date": 1577836800,)"
       R"( "queue_id": "OLD", "subgroups": [], "named_subgroups": {}})");

  auto ids = [&](const sdk::EntryFilter& filter) {
    auto found = s->find(filter);
    EXPECT_TRUE(found.ok());
    std::vector<std::string> result;
    for (const auto& e : found.value()) result.push_back(e.id);
    return result;
  };
  EXPECT_EQ(ids({}).size(), 3u);
  EXPECT_EQ(ids({{}, {"c@example.com"}, {}, {}}), (std::vector<std::string>{two.value()}));
  EXPECT_EQ(ids({{}, {"a@example.com"}, {}, {}}), (std::vector<std::string>{"20200101000000_OLD", one.value()}));
  EXPECT_EQ(ids({{"other@example.net"}, {}, {}, {}}), (std::vector<std::string>{two.value()}));
  EXPECT_EQ(ids({{"sender@example.org"}, {"c@example.com"}, {}, {}}), (std::vector<std::string>{}));
  EXPECT_EQ(ids({{}, {"nobody@example.com", "b@example.com"}, {}, {}}), (std::vector<std::string>{two.value()}));
  EXPECT_EQ(ids({{}, {}, 30, {}}), (std::vector<std::string>{"20200101000000_OLD"}));
  // A recipient that is only a substring of a listed one does not match.
  EXPECT_TRUE(ids({{}, {"example.com"}, {}, {}}).empty());
}

TEST_F(FileStoreTest, LargeDirectoriesAreListedCompletelyAndInOrder) {
  auto s = store();
  std::vector<std::string> expected;
  for (int i = 0; i < 2100; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "20200101%06d_Q%d", i, i);
    std::string rcpt = "user" + std::to_string(i % 100) + "@example.com";
    spit(dir_ / id, "Subject: x\n\nbody\r\n");
    spit(dir_ / (std::string(id) + ".metadata"),
         R"({"mailfrom": "s@x.org", "recipients": [")" + rcpt +
             R"("], "headers": {}, "date": 1577836800, "queue_id": "Q", "subgroups": [], "named_subgroups": {}})");
    if (i % 100 == 7) expected.push_back(id);
  }
  auto all = s->find({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value().size(), 2100u);
  EXPECT_TRUE(std::is_sorted(all.value().begin(), all.value().end(),
                             [](const auto& a, const auto& b) { return a.id < b.id; }));
  auto some = s->find({{}, {"user7@example.com"}, {}, {}});
  ASSERT_TRUE(some.ok());
  std::vector<std::string> ids;
  for (const auto& e : some.value()) ids.push_back(e.id);
  EXPECT_EQ(ids, expected);
}

TEST_F(FileStoreTest, RemoveRecipientRewritesMetadataAndKeepsEverythingElse) {
  auto s = store();
  spit(dir_ / "20200101000000_OLD", "Subject: old\n\nbody\r\n");
  spit(dir_ / "20200101000000_OLD.metadata",
       R"({"mailfrom": "s@x.org", "recipients": ["a@example.com", "b@example.com"], "headers": {},)"
       R"( "date": 1577836800, "queue_id": "OLD", "subgroups": [], "named_subgroups": {}, "future": 1})");
  ASSERT_TRUE(s->remove_recipient("20200101000000_OLD", "a@example.com").ok());
  auto doc = nlohmann::ordered_json::parse(slurp(dir_ / "20200101000000_OLD.metadata"));
  EXPECT_EQ(doc["recipients"], nlohmann::ordered_json::array({"b@example.com"}));
  EXPECT_EQ(doc["future"], 1);
  EXPECT_EQ(doc["date"], 1577836800);
  EXPECT_EQ(slurp(dir_ / "20200101000000_OLD"), "Subject: old\n\nbody\r\n");

  auto missing = s->remove_recipient("20200101000000_OLD", "a@example.com");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("not a recipient"), std::string::npos);

  ASSERT_TRUE(s->remove_recipient("20200101000000_OLD", "b@example.com").ok());
  EXPECT_TRUE(names().empty());
}

TEST_F(FileStoreTest, RemoveDeletesBothFiles) {
  auto s = store();
  auto id = s->store(message(), {"a@example.com"}, match());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(s->remove(id.value()).ok());
  EXPECT_TRUE(names().empty());
  EXPECT_FALSE(s->entry(id.value()).ok());
}

TEST_F(FileStoreTest, ConcurrentStoresOfTheSameQueueIdAllLand) {
  auto s = store();
  FakeMessage m = message();
  std::vector<std::thread> threads;
  std::vector<std::string> ids(16);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] {
      auto id = s->store(m, {"a@example.com"}, match());
      if (id.ok()) ids[i] = id.value();
    });
  }
  for (auto& t : threads) t.join();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
  EXPECT_TRUE(std::none_of(ids.begin(), ids.end(), [](const std::string& id) { return id.empty(); }));
  auto found = s->find({});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value().size(), ids.size());
}

}  // namespace
}  // namespace qmilter::quarantine_file
