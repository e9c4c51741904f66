// What the db store promises beyond the conformance suite: one transaction per store(),
// chunked streaming both ways, ids unique across hosts, a shared quarantine that any host
// administers, exactly one winner when two admins remove the same recipient, and errors
// that name the option and never show the password. Against SQLite here, against
// PostgreSQL and MariaDB through test_quarantine_db_backends.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "message_chunks.hpp"
#include "qmilter/sdk/entry_id.hpp"
#include "test_database.hpp"

namespace qmilter::quarantine_db {
namespace {

using sdk::testing::FakeMessage;
using testing::TestDatabase;

FakeMessage message(std::vector<std::string> recipients = {"a@example.com"}, std::string body = "Hello\r\n") {
  FakeMessage m;
  m.queue_id_value = "4ABC12DEF";
  m.sender_value = "sender@example.org";
  m.recipients_value = std::move(recipients);
  m.headers_value = {{"From", "Sender <sender@example.org>"}, {"Subject", "caf\xc3\xa9\n\tfolded"}};
  m.body_value = std::move(body);
  m.received_at_value = static_cast<std::int64_t>(std::time(nullptr));
  return m;
}

std::string stored(sdk::QuarantineStore& store, const FakeMessage& m) {
  auto id = store.store(m, m.recipients_value, {});
  EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
  return id.ok() ? id.value() : "";
}

std::string read_all(const sdk::QuarantineStore& store, const std::string& id, std::size_t* largest_piece = nullptr) {
  std::string text;
  sdk::Status read = store.read(id, [&](std::string_view piece) {
    text += piece;
    if (largest_piece != nullptr) *largest_piece = std::max(*largest_piece, piece.size());
    return true;
  });
  EXPECT_TRUE(read.ok()) << (read.ok() ? "" : read.error().message);
  return text;
}

// A message whose body read fails after `good` bytes: the MTA connection broke, the spool
// file could not be read.
class BrokenBody final : public sdk::MessageView {
 public:
  BrokenBody(FakeMessage m, std::size_t good) : m_(std::move(m)), good_(good) {}
  std::string_view queue_id() const noexcept override { return m_.queue_id(); }
  std::string_view client_address() const noexcept override { return m_.client_address(); }
  std::string_view sender() const noexcept override { return m_.sender(); }
  const std::vector<std::string>& recipients() const noexcept override { return m_.recipients(); }
  const std::vector<sdk::Header>& headers() const noexcept override { return m_.headers(); }
  std::int64_t received_at() const noexcept override { return m_.received_at(); }
  std::uint64_t body_size() const noexcept override { return good_ * 2; }
  sdk::Status read_body(const sdk::ChunkVisitor& visit) const noexcept override {
    const std::string part(good_, 'x');
    if (!visit(part)) return {};
    return sdk::Error{"the spool file could not be read"};
  }

 private:
  FakeMessage m_;
  std::size_t good_;
};

TEST(DbStore, CreatesItsFourTablesWhenMissing) {
  TestDatabase db;
  ASSERT_NE(db.make(), nullptr);
  for (const char* suffix : {"_entries", "_recipients", "_chunks", "_notes"}) {
    EXPECT_TRUE(db.raw().table_exists(db.prefix() + suffix)) << db.prefix() + suffix;
  }
}

// Tables made before release claims existed: the store adds the two columns, and both the
// stored entries and the claims work on them.
TEST(DbStore, RecipientsTableOfAnOlderVersionGetsTheClaimColumns) {
  TestDatabase db;
  db.raw().execute("CREATE TABLE " + db.table("_recipients") + " (" + db.q("entry_id") + " VARCHAR(255) NOT NULL, " +
                   db.q("position") + " INTEGER NOT NULL, " + db.q("recipient") + " VARCHAR(255) NOT NULL, " +
                   "PRIMARY KEY (" + db.q("entry_id") + ", " + db.q("recipient") + "))");
  auto store = db.make();
  ASSERT_NE(store, nullptr);
  const std::string id = stored(*store, message({"a@example.com", "b@example.com"}));
  auto claim = store->claim_recipient(id, "a@example.com", 1000);
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  EXPECT_FALSE(store->claim_recipient(id, "a@example.com", 1000).ok());
  ASSERT_TRUE(store->finish_claim(claim.value()).ok());
  EXPECT_EQ(store->entry(id).value().recipients, std::vector<std::string>{"b@example.com"});
  ASSERT_NE(db.make(), nullptr) << "a second store on the upgraded tables";
}

TEST(DbStore, CheckRoleOnlyConnectsAndCreatesNothing) {
  TestDatabase db;
  auto checked = db.create({}, sdk::Role::check);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_FALSE(db.raw().table_exists(db.prefix() + "_entries"));
}

TEST(DbStore, AMessageComesBackByteForByteInChunksOfAtMostOneMebibyte) {
  TestDatabase db;
  auto store = db.make();
  ASSERT_NE(store, nullptr);
  std::string body;
  for (int i = 0; body.size() < 3 * chunk_size + chunk_size / 2; ++i) body += "line " + std::to_string(i) + "\r\n";
  body += std::string("\0\xff\x80 binary\r\n", 12);
  FakeMessage m = message({"a@example.com"}, body);
  const std::string id = stored(*store, m);
  std::size_t largest = 0;
  EXPECT_EQ(read_all(*store, id, &largest), sdk::stored_header_section(m) + body);
  EXPECT_LE(largest, chunk_size) << "a read hands on more than one chunk at a time";
  EXPECT_EQ(db.value("SELECT COUNT(*) FROM " + db.table("_chunks") + " WHERE " + db.q("entry_id") + " = ?",
                     {odbc::SqlParam::of_text(id)}),
            "4");
  EXPECT_EQ(db.value("SELECT " + db.q("size") + " FROM " + db.table("_entries") + " WHERE " + db.q("id") + " = ?",
                     {odbc::SqlParam::of_text(id)}),
            std::to_string(sdk::stored_header_section(m).size() + body.size()));
}

TEST(DbStore, AFailedStoreLeavesNothingBehind) {
  TestDatabase db;
  auto store = db.make();
  ASSERT_NE(store, nullptr);
  BrokenBody broken(message(), 2 * chunk_size + 10);  // two chunk rows written before it fails
  auto id = store->store(broken, broken.recipients(), {});
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().message.find("spool file"), std::string::npos) << id.error().message;
  auto all = store->find({});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_TRUE(all.value().empty());
  for (const char* suffix : {"_entries", "_recipients", "_chunks"}) {
    EXPECT_EQ(db.value("SELECT COUNT(*) FROM " + db.table(suffix)), "0") << suffix << " keeps rows of a failed store";
  }
}

TEST(DbStore, TwoHostsStoringOneQueueIdInOneSecondGetTwoEntries) {
  TestDatabase db;
  auto mx1 = db.make({{"quarantine_db_host", std::string("mx1.example.org")}});
  auto mx2 = db.make({{"quarantine_db_host", std::string("mx2.example.org")}});
  ASSERT_TRUE(mx1 && mx2);
  FakeMessage m = message();
  const std::string one = stored(*mx1, m);
  const std::string two = stored(*mx2, m);
  EXPECT_NE(one, two);
  for (const std::string& id : {one, two}) {
    EXPECT_FALSE(sdk::entry_id_problem(id)) << id;
    // Date first, then the queue id: readable, and sorted by time.
    EXPECT_EQ(id.find("_4ABC12DEF_"), 14u) << id;
  }
  EXPECT_EQ(db.value("SELECT " + db.q("host") + " FROM " + db.table("_entries") + " WHERE " + db.q("id") + " = ?",
                     {odbc::SqlParam::of_text(two)}),
            "mx2.example.org");
}

TEST(DbStore, AnyHostAdministersWhatAnotherStored) {
  TestDatabase db;
  auto mx1 = db.make({{"quarantine_db_host", std::string("mx1")}});
  auto mx2 = db.make({{"quarantine_db_host", std::string("mx2")}});
  ASSERT_TRUE(mx1 && mx2);
  FakeMessage m = message({"a@example.com", "b@example.com"});
  const std::string id = stored(*mx1, m);
  auto listed = mx2->find({});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed.value().size(), 1u);
  EXPECT_EQ(listed.value()[0].recipients, (std::vector<std::string>{"a@example.com", "b@example.com"}));
  EXPECT_EQ(listed.value()[0].headers.at("subject"), "caf\xc3\xa9\n\tfolded");
  EXPECT_EQ(read_all(*mx2, id), sdk::stored_header_section(m) + m.body_value);
  ASSERT_TRUE(mx2->remove_recipient(id, "a@example.com").ok());
  auto seen = mx1->entry(id);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(seen.value().recipients, std::vector<std::string>{"b@example.com"});
  ASSERT_TRUE(mx1->remove(id).ok());
  EXPECT_FALSE(mx2->entry(id).ok());
}

TEST(DbStore, RemovingARecipientAlreadyGoneIsAnErrorSayingSo) {
  TestDatabase db;
  auto store = db.make();
  ASSERT_NE(store, nullptr);
  const std::string id = stored(*store, message({"a@example.com", "b@example.com"}));
  ASSERT_TRUE(store->remove_recipient(id, "a@example.com").ok());
  sdk::Status again = store->remove_recipient(id, "a@example.com");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().not_found()) << "the second releaser learns the recipient is gone, not that the store failed";
  EXPECT_NE(again.error().message.find("is not (or no longer) a recipient"), std::string::npos) << again.error().message;
}

// Two admins (here: many threads on two hosts' stores) release one recipient at once: the
// conditional delete lets exactly one of them take it off the entry.
TEST(DbStore, ConcurrentRemovalsOfOneRecipientHaveExactlyOneWinner) {
  TestDatabase db;
  auto mx1 = db.make();
  auto mx2 = db.make();
  ASSERT_TRUE(mx1 && mx2);
  for (int round = 0; round < 10; ++round) {
    const std::string id = stored(*mx1, message({"a@example.com", "b@example.com"}));
    std::atomic<int> winners{0};
    std::vector<std::thread> admins;
    for (int t = 0; t < 6; ++t) {
      admins.emplace_back([&, t] {
        if ((t % 2 == 0 ? *mx1 : *mx2).remove_recipient(id, "a@example.com").ok()) ++winners;
      });
    }
    for (std::thread& admin : admins) admin.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    auto left = mx2->entry(id);
    ASSERT_TRUE(left.ok()) << left.error().message;
    EXPECT_EQ(left.value().recipients, std::vector<std::string>{"b@example.com"});
  }
}

// The last two recipients removed at once: whichever goes last removes the entry, so it
// never stays with no recipients.
TEST(DbStore, ConcurrentRemovalsOfTheLastRecipientsRemoveTheEntry) {
  TestDatabase db;
  auto mx1 = db.make();
  auto mx2 = db.make();
  ASSERT_TRUE(mx1 && mx2);
  for (int round = 0; round < 10; ++round) {
    const std::string id = stored(*mx1, message({"a@example.com", "b@example.com"}));
    sdk::Status first, second;
    std::thread one([&] { first = mx1->remove_recipient(id, "a@example.com"); });
    std::thread two([&] { second = mx2->remove_recipient(id, "b@example.com"); });
    one.join();
    two.join();
    EXPECT_TRUE(first.ok()) << first.error().message;
    EXPECT_TRUE(second.ok()) << second.error().message;
    EXPECT_FALSE(mx1->entry(id).ok()) << "round " << round << ": an entry with no recipients is left";
  }
  EXPECT_EQ(db.value("SELECT COUNT(*) FROM " + db.table("_chunks")), "0");
}

TEST(DbStore, ABadTablePrefixIsRefusedByName) {
  TestDatabase db;
  auto made = db.create({{"quarantine_db_table", std::string("bad-name; DROP")}});
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("quarantine_db_table 'bad-name; DROP'"), std::string::npos) << made.error().message;
}

TEST(DbStore, AnUnreachableServerIsNamedWithoutItsPassword) {
  TestDatabase db;
  const std::string url = "postgresql://qmilter:TopSecret99@127.0.0.1:1/qmilter";
  auto checked = db.create({{"quarantine_db_connection", url}, {"quarantine_db_timeout", std::int64_t{2}}}, sdk::Role::admin);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("quarantine_db_connection 'postgresql://qmilter:***@127.0.0.1:1/qmilter'"),
            std::string::npos)
      << checked.error().message;
  EXPECT_EQ(checked.error().message.find("TopSecret99"), std::string::npos);

  // The daemon starts anyway; each message then gets an Error (TEMPFAIL), never a silent pass.
  auto daemon = db.create({{"quarantine_db_connection", url}, {"quarantine_db_timeout", std::int64_t{2}}});
  ASSERT_TRUE(daemon.ok()) << daemon.error().message;
  FakeMessage m = message();
  auto id = daemon.value()->store(m, m.recipients_value, {});
  ASSERT_FALSE(id.ok());
  auto listed = daemon.value()->entry("20261202000000_X_0000000000000000");
  ASSERT_FALSE(listed.ok());
  EXPECT_FALSE(listed.error().not_found()) << "a store that cannot answer must not say 'gone'";
  EXPECT_EQ(id.error().message.find("TopSecret99"), std::string::npos) << id.error().message;
  for (const std::string& line : db.logger().lines()) EXPECT_EQ(line.find("TopSecret99"), std::string::npos) << line;
}

}  // namespace
}  // namespace qmilter::quarantine_db
