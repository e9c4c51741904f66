// A GoogleTest suite that checks a QuarantineStore against the contract in store.hpp:
// store/find/entry/read/remove_recipient/remove, the exact bytes read() gives, the sender,
// recipient and age filters, the last-recipient rule, concurrent store() calls, readers
// running beside a thread that removes recipients, and the release claims (one winner of
// concurrent claims, abandon, finish, expiry) and the notes (absent and present, compare and
// swap with one winner among concurrent writers, large values; skipped for a store whose
// keeps_notes() is false). Header-only; include it in one source file of
// a test program and instantiate it with a factory of your store:
//
//   struct MyStoreFactory {
//     MyStoreFactory();                                   // e.g. make a scratch directory
//     std::unique_ptr<qmilter::sdk::QuarantineStore> make();  // a fresh, empty store
//     // Optional: make entry `id` look `seconds` older. Without it the tests that need an
//     // old entry are skipped (GTEST_SKIP), the ones with fresh entries still run.
//     void backdate(qmilter::sdk::QuarantineStore& store, const std::string& id, std::int64_t seconds);
//     // Optional: a second store on the same storage as the last make(), as another process
//     // or host opens it. Without it the tests that claim or write notes through two stores
    // are skipped.
//     std::unique_ptr<qmilter::sdk::QuarantineStore> make_another();
//   };
//   namespace qmilter::sdk::testing {  // where the suite's names are
//   INSTANTIATE_TYPED_TEST_SUITE_P(MyStore, QuarantineStoreConformance, MyStoreFactory);
//   }
//
// Each test constructs its own factory and store and destroys them at its end.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <functional>
#include <thread>
#include <vector>

#include "qmilter/sdk/entry_id.hpp"
#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/store.hpp"
#include "qmilter/sdk/testing/fake_message.hpp"

namespace qmilter::sdk::testing {

template <class Factory>
concept StoreFactory = requires(Factory factory) {
  { factory.make() } -> std::convertible_to<std::unique_ptr<QuarantineStore>>;
};

template <class Factory>
concept BackdatingStoreFactory =
    StoreFactory<Factory> && requires(Factory factory, QuarantineStore& store, const std::string& id) {
      factory.backdate(store, id, std::int64_t{0});
    };

template <class Factory>
concept SharingStoreFactory = StoreFactory<Factory> && requires(Factory factory) {
  { factory.make_another() } -> std::convertible_to<std::unique_ptr<QuarantineStore>>;
};

template <StoreFactory Factory>
class QuarantineStoreConformance : public ::testing::Test {
 protected:
  static constexpr std::int64_t day = 86400;

  QuarantineStoreConformance() : store_(factory_.make()) {}

  void SetUp() override {
    ASSERT_NE(store_, nullptr) << "the factory's make() gave no store";
    ASSERT_TRUE(store_->keeps_messages()) << "the suite is for stores that keep messages";
  }

  QuarantineStore& store() { return *store_; }

  static std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

  // A message as the daemon hands it over: received now, CRLF body.
  static FakeMessage message(const std::string& sender, std::vector<std::string> recipients,
                             const std::string& body = "Hello\r\n", const std::string& queue_id = "4ABC12DEF") {
    FakeMessage m;
    m.queue_id_value = queue_id;
    m.sender_value = sender;
    m.recipients_value = std::move(recipients);
    m.headers_value = {{"From", sender}, {"Subject", "conformance"}, {"X-Spam-Flag", "YES"}};
    m.body_value = body;
    m.received_at_value = now();
    return m;
  }

  // Stores `m` for its recipients; fails the test when the store refuses.
  std::string stored(const FakeMessage& m, const Match& match = {}) {
    Result<std::string> id = store().store(m, m.recipients_value, match);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    if (!id.ok()) return {};
    EXPECT_FALSE(entry_id_problem(id.value())) << "store() returned id '" << id.value()
                                                << "': " << entry_id_problem(id.value()).value_or("");
    return id.value();
  }

  std::string read_all(const std::string& id) {
    std::string text;
    Status read = store().read(id, [&](std::string_view chunk) {
      text += chunk;
      return true;
    });
    EXPECT_TRUE(read.ok()) << "read('" << id << "'): " << (read.ok() ? "" : read.error().message);
    return text;
  }

  // The ids find() lists for `filter`, sorted; every listed entry must match the filter.
  std::vector<std::string> found_ids(const EntryFilter& filter) {
    auto found = store().find(filter);
    EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().message);
    std::vector<std::string> ids;
    if (!found.ok()) return ids;
    const std::int64_t at = now();
    for (const StoredEntry& entry : found.value()) {
      EXPECT_TRUE(entry_matches(filter, entry, at)) << "find() listed '" << entry.id << "', which does not match";
      ids.push_back(entry.id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  static std::vector<std::string> sorted(std::vector<std::string> values) {
    std::sort(values.begin(), values.end());
    return values;
  }

  bool gone(const std::string& id) {
    bool listed = false;
    if (auto all = store().find({}); all.ok()) {
      listed = std::any_of(all.value().begin(), all.value().end(), [&](const StoredEntry& e) { return e.id == id; });
    }
    Status read = store().read(id, [](std::string_view) { return true; });
    return !store().entry(id).ok() && !read.ok() && !listed;
  }

  // Makes `id` look `seconds` older through the factory, or skips the calling test.
  bool backdate(const std::string& id, std::int64_t seconds) {
    if constexpr (BackdatingStoreFactory<Factory>) {
      factory_.backdate(store(), id, seconds);
      return true;
    } else {
      return false;
    }
  }

  // `threads` claims of one recipient at once, spread over `stores`: how many won, and the
  // first failure that was not a not_found.
  static std::pair<int, std::string> concurrent_claims(const std::vector<QuarantineStore*>& stores,
                                                       const std::string& id, const std::string& recipient,
                                                       int threads) {
    std::vector<std::optional<Result<RecipientClaim>>> results(static_cast<std::size_t>(threads));
    {
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          QuarantineStore& store = *stores[static_cast<std::size_t>(t) % stores.size()];
          results[static_cast<std::size_t>(t)] = store.claim_recipient(id, recipient, now());
        });
      }
      for (std::thread& worker : workers) worker.join();
    }
    int won = 0;
    std::string failure;
    for (const auto& result : results) {
      if (result->ok()) {
        ++won;
      } else if (!result->error().not_found() && failure.empty()) {
        failure = result->error().message;
      }
    }
    return {won, failure};
  }

  // `threads` replacements of note `key` at once, all expecting `expected`, spread over
  // `stores`, thread t writing "writer t": the values that won, and the first failure.
  static std::pair<std::vector<std::string>, std::string> concurrent_replacements(
      const std::vector<QuarantineStore*>& stores, const std::string& key, std::optional<std::int64_t> expected,
      int threads) {
    std::vector<std::optional<Result<std::optional<std::int64_t>>>> results(static_cast<std::size_t>(threads));
    {
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          QuarantineStore& store = *stores[static_cast<std::size_t>(t) % stores.size()];
          results[static_cast<std::size_t>(t)] = store.replace_note(key, expected, "writer " + std::to_string(t));
        });
      }
      for (std::thread& worker : workers) worker.join();
    }
    std::vector<std::string> won;
    std::string failure;
    for (int t = 0; t < threads; ++t) {
      const auto& result = *results[static_cast<std::size_t>(t)];
      if (!result.ok()) {
        if (failure.empty()) failure = result.error().message;
      } else if (result.value()) {
        won.push_back("writer " + std::to_string(t));
      }
    }
    return {won, failure};
  }

  // The note as read_note() gives it; fails the test on an error.
  std::optional<Note> note(QuarantineStore& from, const std::string& key) {
    auto read = from.read_note(key);
    EXPECT_TRUE(read.ok()) << "read_note('" << key << "'): " << (read.ok() ? "" : read.error().message);
    return read.ok() ? read.value() : std::nullopt;
  }

  Factory factory_;
  std::unique_ptr<QuarantineStore> store_;
};

TYPED_TEST_SUITE_P(QuarantineStoreConformance);

TYPED_TEST_P(QuarantineStoreConformance, EntryGivesBackWhatWasStored) {
  const std::int64_t before = this->now();
  FakeMessage m = this->message("sender@example.org", {"a@example.com", "b@example.com"});
  Match match;
  match.groups = {std::string("YES"), std::nullopt};
  match.named = {{"flag", std::string("YES")}, {"score", std::nullopt}};
  const std::string id = this->stored(m, match);
  ASSERT_FALSE(id.empty());

  auto entry = this->store().entry(id);
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  EXPECT_EQ(entry.value().id, id);
  EXPECT_EQ(entry.value().mailfrom, "sender@example.org");
  EXPECT_EQ(this->sorted(entry.value().recipients), this->sorted(m.recipients_value));
  EXPECT_EQ(entry.value().queue_id, "4ABC12DEF");
  EXPECT_GE(entry.value().date, before - 1);
  EXPECT_LE(entry.value().date, this->now() + 1);
  ASSERT_EQ(entry.value().headers.count("subject"), 1u) << "headers are keyed by their lower-cased name";
  EXPECT_EQ(entry.value().headers.at("subject"), "conformance");
  EXPECT_EQ(entry.value().subgroups, match.groups);
  EXPECT_EQ(entry.value().named_subgroups, match.named);
}

TYPED_TEST_P(QuarantineStoreConformance, ReadGivesHeadersAnEmptyLineAndTheBody) {
  const std::string body = "line one\r\n.dot line\r\n\r\nlast\r\n";
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com"}, body));
  EXPECT_EQ(this->read_all(id),
            "From: s@example.org\nSubject: conformance\nX-Spam-Flag: YES\n\n" + body);
}

// store.hpp's form of read(), byte for byte: LF after each header, a folded value as it came,
// the body unchanged whatever its line ends and bytes.
TYPED_TEST_P(QuarantineStoreConformance, ReadChangesNoByteOfTheMessage) {
  static constexpr char odd_bytes[] = "bare LF\nlone CR\r8-bit \xE4\xFF\x01 and a NUL \0 here\r\n";
  const std::string body = std::string(odd_bytes, sizeof odd_bytes - 1) + "no line end at the end";
  FakeMessage m = this->message("s@example.org", {"a@example.com"}, body);
  m.headers_value = {{"Subject", "folded\n\tsecond line"}, {"X-Empty", ""}, {"X-Latin1", "Gr\xFC\xDF"}};
  const std::string id = this->stored(m);
  EXPECT_EQ(this->read_all(id), "Subject: folded\n\tsecond line\nX-Empty: \nX-Latin1: Gr\xFC\xDF\n\n" + body);

  FakeMessage empty = this->message("s@example.org", {"a@example.com"}, "");
  EXPECT_EQ(this->read_all(this->stored(empty)),
            "From: s@example.org\nSubject: conformance\nX-Spam-Flag: YES\n\n");
}

// An unknown id is an Error of kind not_found (a caller tells "gone" from "store down" by it).
TYPED_TEST_P(QuarantineStoreConformance, UnknownIdsAreErrors) {
  this->stored(this->message("s@example.org", {"a@example.com"}));
  const auto is_not_found = [](const Error& error) { return error.not_found(); };
  auto entry = this->store().entry("no-such-entry");
  ASSERT_FALSE(entry.ok());
  EXPECT_TRUE(is_not_found(entry.error())) << "entry(): " << entry.error().message;
  Status read = this->store().read("no-such-entry", [](std::string_view) { return true; });
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(is_not_found(read.error())) << "read(): " << read.error().message;
  Status taken = this->store().remove_recipient("no-such-entry", "a@example.com");
  ASSERT_FALSE(taken.ok());
  EXPECT_TRUE(is_not_found(taken.error())) << "remove_recipient(): " << taken.error().message;
  Status removed = this->store().remove("no-such-entry");
  ASSERT_FALSE(removed.ok());
  EXPECT_TRUE(is_not_found(removed.error())) << "remove(): " << removed.error().message;
}

TYPED_TEST_P(QuarantineStoreConformance, FindWithoutFilterListsEveryEntry) {
  EXPECT_EQ(this->found_ids({}), std::vector<std::string>{});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(this->stored(this->message("s@example.org", {"a@example.com"})));
  EXPECT_EQ(this->found_ids({}), this->sorted(ids));
  auto all = this->store().find({});
  ASSERT_TRUE(all.ok());
  for (const StoredEntry& entry : all.value()) {
    EXPECT_EQ(entry.recipients, std::vector<std::string>{"a@example.com"}) << "find() gives complete entries";
  }
}

// A caller that names the headers it reads still gets those, and the rest of each entry.
TYPED_TEST_P(QuarantineStoreConformance, FindAskedForSomeHeadersGivesThose) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com"}));
  EntryFilter filter;
  filter.header_names = {"subject", "x-not-there"};
  auto found = this->store().find(filter);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found.value().size(), 1u);
  const StoredEntry& entry = found.value().front();
  EXPECT_EQ(entry.id, id);
  EXPECT_EQ(entry.mailfrom, "s@example.org");
  EXPECT_EQ(entry.recipients, std::vector<std::string>{"a@example.com"});
  ASSERT_EQ(entry.headers.count("subject"), 1u);
  EXPECT_EQ(entry.headers.at("subject"), "conformance");
  EXPECT_EQ(entry.headers.count("x-not-there"), 0u);
}

TYPED_TEST_P(QuarantineStoreConformance, FindFiltersBySenderAndRecipient) {
  const std::string one = this->stored(this->message("one@example.org", {"a@example.com", "b@example.com"}));
  const std::string two = this->stored(this->message("two@example.org", {"b@example.com"}));
  const std::string three = this->stored(this->message("three@example.org", {"c@example.com"}));

  EntryFilter from_one;
  from_one.from = {"one@example.org"};
  EXPECT_EQ(this->found_ids(from_one), std::vector<std::string>{one});
  EntryFilter from_either;
  from_either.from = {"one@example.org", "three@example.org"};
  EXPECT_EQ(this->found_ids(from_either), this->sorted({one, three}));
  EntryFilter to_b;
  to_b.to = {"b@example.com"};
  EXPECT_EQ(this->found_ids(to_b), this->sorted({one, two}));
  EntryFilter both;
  both.from = {"two@example.org", "three@example.org"};
  both.to = {"a@example.com", "b@example.com"};
  EXPECT_EQ(this->found_ids(both), std::vector<std::string>{two});
  EntryFilter nobody;
  nobody.to = {"nobody@example.com"};
  EXPECT_EQ(this->found_ids(nobody), std::vector<std::string>{});
}

TYPED_TEST_P(QuarantineStoreConformance, FindByAgeNeverListsAYoungEntry) {
  const std::string fresh = this->stored(this->message("s@example.org", {"a@example.com"}));
  EntryFilter any_age;
  any_age.older_than_days = 0;
  EXPECT_EQ(this->found_ids(any_age), std::vector<std::string>{fresh});
  for (std::int64_t days : {std::int64_t{1}, std::int64_t{30}, std::int64_t{36500}}) {
    EntryFilter older;
    older.older_than_days = days;
    EXPECT_EQ(this->found_ids(older), std::vector<std::string>{}) << "older than " << days << " days";
  }
}

TYPED_TEST_P(QuarantineStoreConformance, FindByAgeListsOldEntries) {
  const std::string fresh = this->stored(this->message("s@example.org", {"a@example.com"}));
  const std::string old = this->stored(this->message("s@example.org", {"a@example.com"}));
  if (!this->backdate(old, 40 * this->day)) GTEST_SKIP() << "the factory has no backdate()";
  EntryFilter thirty;
  thirty.older_than_days = 30;
  EXPECT_EQ(this->found_ids(thirty), std::vector<std::string>{old});
  EntryFilter fifty;
  fifty.older_than_days = 50;
  EXPECT_EQ(this->found_ids(fifty), std::vector<std::string>{});
  EntryFilter old_from_s;
  old_from_s.older_than_days = 30;
  old_from_s.from = {"s@example.org"};
  old_from_s.to = {"a@example.com"};
  EXPECT_EQ(this->found_ids(old_from_s), std::vector<std::string>{old});
  EXPECT_EQ(this->found_ids({}), this->sorted({fresh, old}));
}

TYPED_TEST_P(QuarantineStoreConformance, RemoveRecipientKeepsTheOthers) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  ASSERT_TRUE(this->store().remove_recipient(id, "a@example.com").ok());
  auto entry = this->store().entry(id);
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  EXPECT_EQ(entry.value().recipients, std::vector<std::string>{"b@example.com"});
  EXPECT_FALSE(this->read_all(id).empty());
  EntryFilter to_a;
  to_a.to = {"a@example.com"};
  EXPECT_EQ(this->found_ids(to_a), std::vector<std::string>{});
}

TYPED_TEST_P(QuarantineStoreConformance, RemovingSomeoneWhoIsNoRecipientIsAnError) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com"}));
  Status taken = this->store().remove_recipient(id, "z@example.com");
  ASSERT_FALSE(taken.ok());
  EXPECT_TRUE(taken.error().not_found()) << taken.error().message;
  auto entry = this->store().entry(id);
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  EXPECT_EQ(entry.value().recipients, std::vector<std::string>{"a@example.com"});
}

TYPED_TEST_P(QuarantineStoreConformance, RemovingTheLastRecipientRemovesTheEntry) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  ASSERT_TRUE(this->store().remove_recipient(id, "a@example.com").ok());
  ASSERT_TRUE(this->store().remove_recipient(id, "b@example.com").ok());
  EXPECT_TRUE(this->gone(id)) << "an entry with no recipients is still there";
}

TYPED_TEST_P(QuarantineStoreConformance, RemoveRemovesOnlyThatEntry) {
  const std::string removed = this->stored(this->message("s@example.org", {"a@example.com"}));
  const std::string kept = this->stored(this->message("s@example.org", {"a@example.com"}));
  ASSERT_NE(removed, kept);
  ASSERT_TRUE(this->store().remove(removed).ok());
  EXPECT_TRUE(this->gone(removed));
  EXPECT_FALSE(this->store().remove(removed).ok()) << "removing it again";
  EXPECT_EQ(this->found_ids({}), std::vector<std::string>{kept});
  EXPECT_TRUE(this->store().entry(kept).ok());
}

// The daemon calls store() from many threads at once, often for the same queue id (a
// message quarantined for several sections, or ids repeating across a restart).
TYPED_TEST_P(QuarantineStoreConformance, ConcurrentStoresGiveDistinctIdsAndIntactData) {
  constexpr int threads = 8;
  constexpr int per_thread = 20;
  std::vector<std::vector<std::pair<std::string, std::string>>> results(threads);  // id, body
  std::vector<std::string> failures(threads);
  {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          const std::string body = "thread " + std::to_string(t) + " message " + std::to_string(i) + "\r\n" +
                                   std::string(static_cast<std::size_t>(100 * i), 'x') + "\r\n";
          FakeMessage m = this->message("s@example.org", {"r" + std::to_string(t) + "@example.com"}, body, "SAMEQID");
          Result<std::string> id = this->store().store(m, m.recipients_value, {});
          if (!id.ok()) {
            failures[t] = id.error().message;
            return;
          }
          results[t].emplace_back(id.value(), body);
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
  }
  for (const std::string& failure : failures) ASSERT_EQ(failure, "") << "store() failed under concurrency";
  std::set<std::string> ids;
  for (int t = 0; t < threads; ++t) {
    for (const auto& [id, body] : results[t]) {
      EXPECT_TRUE(ids.insert(id).second) << "id '" << id << "' returned twice";
      EXPECT_FALSE(entry_id_problem(id)) << id;
      const std::string text = this->read_all(id);
      EXPECT_TRUE(text.size() >= body.size() && text.compare(text.size() - body.size(), body.size(), body) == 0)
          << "entry '" << id << "' does not hold its own message";
      auto entry = this->store().entry(id);
      ASSERT_TRUE(entry.ok()) << entry.error().message;
      EXPECT_EQ(entry.value().recipients, std::vector<std::string>{"r" + std::to_string(t) + "@example.com"});
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(threads * per_thread));
  EXPECT_EQ(this->found_ids({}).size(), ids.size());
}

// An admin service calls the admin side from several threads at once: readers see each
// entry whole (all of its message, a non-empty subset of its recipients) or not at all, and
// an entry once gone stays gone, while another thread takes its recipients off one by one.
TYPED_TEST_P(QuarantineStoreConformance, ReadersSeeWholeEntriesWhileRecipientsAreRemoved) {
  constexpr int entries = 20;
  const std::vector<std::string> recipients{"a@example.com", "b@example.com", "c@example.com"};
  std::vector<std::pair<std::string, std::string>> kept;  // id, what read() gives
  for (int i = 0; i < entries; ++i) {
    FakeMessage m = this->message("s@example.org", recipients, "message " + std::to_string(i) + "\r\n");
    const std::string id = this->stored(m);
    ASSERT_FALSE(id.empty());
    kept.emplace_back(id, this->read_all(id));
  }
  std::vector<std::string> failures(3);
  std::thread remover([&] {
    for (const std::string& recipient : recipients) {
      for (const auto& [id, text] : kept) {
        if (Status removed = this->store().remove_recipient(id, recipient); !removed.ok()) {
          failures[0] = "remove_recipient('" + id + "', " + recipient + "): " + removed.error().message;
          return;
        }
      }
    }
  });
  auto reader = [&](std::string& failure) {
    std::set<std::string> gone;
    for (int round = 0; round < 50 && gone.size() < kept.size() && failure.empty(); ++round) {
      for (const auto& [id, text] : kept) {
        auto entry = this->store().entry(id);
        std::string read;
        Status status = this->store().read(id, [&](std::string_view chunk) {
          read += chunk;
          return true;
        });
        if (!entry.ok()) {
          gone.insert(id);
        } else if (gone.count(id)) {
          failure = "entry '" + id + "' came back after it was gone";
        } else if (entry.value().recipients.empty() || entry.value().recipients.size() > recipients.size()) {
          failure = "entry '" + id + "' has " + std::to_string(entry.value().recipients.size()) + " recipients";
        }
        if (status.ok() && read != text) failure = "read('" + id + "') gave a part or another message";
      }
    }
  };
  std::thread first(reader, std::ref(failures[1]));
  std::thread second(reader, std::ref(failures[2]));
  remover.join();
  first.join();
  second.join();
  for (const std::string& failure : failures) EXPECT_EQ(failure, "");
  EXPECT_EQ(this->found_ids({}), std::vector<std::string>{}) << "every recipient was removed";
}

// Two admins releasing one recipient at once: exactly one may send. Claims of other
// recipients of the entry are not in the way.
TYPED_TEST_P(QuarantineStoreConformance, ConcurrentClaimsOfOneRecipientHaveOneWinner) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  auto [won, failure] = this->concurrent_claims({&this->store()}, id, "a@example.com", 8);
  EXPECT_EQ(failure, "") << "a lost claim is not_found, not a failure";
  EXPECT_EQ(won, 1) << "claims of one recipient that succeeded";
  auto other = this->store().claim_recipient(id, "b@example.com", this->now());
  EXPECT_TRUE(other.ok()) << "another recipient of the entry: " << (other.ok() ? "" : other.error().message);
}

// The same across two stores on one storage, as two processes or hosts have them.
TYPED_TEST_P(QuarantineStoreConformance, ClaimsExcludeAnotherStoreOnTheSameStorage) {
  if constexpr (!SharingStoreFactory<TypeParam>) {
    GTEST_SKIP() << "the factory has no make_another()";
  } else {
    const std::string id = this->stored(this->message("s@example.org", {"a@example.com"}));
    std::unique_ptr<QuarantineStore> another = this->factory_.make_another();
    ASSERT_NE(another, nullptr);
    ASSERT_TRUE(another->entry(id).ok()) << "make_another() gave a store on other storage";
    auto [won, failure] = this->concurrent_claims({&this->store(), another.get()}, id, "a@example.com", 8);
    EXPECT_EQ(failure, "");
    EXPECT_EQ(won, 1) << "claims through two stores that succeeded";
  }
}

TYPED_TEST_P(QuarantineStoreConformance, ClaimsOfWhatIsNotHeldAreNotFound) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com"}));
  auto unknown = this->store().claim_recipient("no-such-entry", "a@example.com", this->now());
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.error().not_found()) << unknown.error().message;
  auto stranger = this->store().claim_recipient(id, "z@example.com", this->now());
  ASSERT_FALSE(stranger.ok());
  EXPECT_TRUE(stranger.error().not_found()) << stranger.error().message;
}

// A failed send gives the claim back: the entry is as it was, and can be released again.
TYPED_TEST_P(QuarantineStoreConformance, AbandonMakesTheRecipientClaimableAgain) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  const std::string text = this->read_all(id);
  auto claim = this->store().claim_recipient(id, "a@example.com", this->now());
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  auto claimed = this->store().entry(id);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  EXPECT_EQ(this->sorted(claimed.value().recipients), this->sorted({"a@example.com", "b@example.com"}))
      << "a claim changes nothing entry() gives";
  EXPECT_EQ(this->read_all(id), text);
  auto second = this->store().claim_recipient(id, "a@example.com", this->now());
  EXPECT_FALSE(second.ok()) << "claimed twice";

  ASSERT_TRUE(this->store().abandon_claim(claim.value()).ok());
  EXPECT_EQ(this->sorted(this->store().entry(id).value().recipients),
            this->sorted({"a@example.com", "b@example.com"}));
  auto again = this->store().claim_recipient(id, "a@example.com", this->now());
  ASSERT_TRUE(again.ok()) << "after abandon: " << again.error().message;
  Status stale = this->store().abandon_claim(claim.value());
  ASSERT_FALSE(stale.ok()) << "abandoning a claim that was already given back";
  EXPECT_TRUE(stale.error().not_found()) << stale.error().message;
  ASSERT_TRUE(this->store().finish_claim(again.value()).ok()) << "the newer claim is untouched";
}

TYPED_TEST_P(QuarantineStoreConformance, FinishTakesOffTheClaimedRecipientOnly) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  auto claim = this->store().claim_recipient(id, "a@example.com", this->now());
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  ASSERT_TRUE(this->store().finish_claim(claim.value()).ok());
  auto entry = this->store().entry(id);
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  EXPECT_EQ(entry.value().recipients, std::vector<std::string>{"b@example.com"});
  auto replay = this->store().claim_recipient(id, "a@example.com", this->now());
  ASSERT_FALSE(replay.ok()) << "a released recipient was claimed again";
  EXPECT_TRUE(replay.error().not_found()) << replay.error().message;
  Status twice = this->store().finish_claim(claim.value());
  ASSERT_FALSE(twice.ok()) << "finishing one claim twice";
  EXPECT_TRUE(twice.error().not_found()) << twice.error().message;
}

TYPED_TEST_P(QuarantineStoreConformance, FinishingTheLastRecipientRemovesTheEntry) {
  const std::string one = this->stored(this->message("s@example.org", {"a@example.com"}));
  auto claim = this->store().claim_recipient(one, "a@example.com", this->now());
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  ASSERT_TRUE(this->store().finish_claim(claim.value()).ok());
  EXPECT_TRUE(this->gone(one)) << "an entry with no recipients is still there";

  // Both recipients released at once: whichever goes last takes the entry with it.
  const std::string two = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  auto first = this->store().claim_recipient(two, "a@example.com", this->now());
  auto second = this->store().claim_recipient(two, "b@example.com", this->now());
  ASSERT_TRUE(first.ok() && second.ok());
  std::vector<Status> finished(2);
  std::thread a([&] { finished[0] = this->store().finish_claim(first.value()); });
  std::thread b([&] { finished[1] = this->store().finish_claim(second.value()); });
  a.join();
  b.join();
  for (const Status& status : finished) EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(this->gone(two)) << "an entry with no recipients is still there";
}

// A releaser that died leaves its claim: after claim_lifetime_seconds another takes it over,
// and the dead one's claim is then worth nothing.
TYPED_TEST_P(QuarantineStoreConformance, AnExpiredClaimIsTakenOver) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  const std::int64_t then = this->now();
  auto dead = this->store().claim_recipient(id, "a@example.com", then);
  ASSERT_TRUE(dead.ok()) << dead.error().message;
  auto early = this->store().claim_recipient(id, "a@example.com", then + claim_lifetime_seconds - 1);
  ASSERT_FALSE(early.ok()) << "a live claim was taken over";
  EXPECT_TRUE(early.error().not_found()) << early.error().message;
  auto late = this->store().claim_recipient(id, "a@example.com", then + claim_lifetime_seconds);
  ASSERT_TRUE(late.ok()) << "an expired claim still blocks: " << late.error().message;
  EXPECT_FALSE(this->store().finish_claim(dead.value()).ok()) << "the taken-over claim finished";
  EXPECT_FALSE(this->store().abandon_claim(dead.value()).ok()) << "the taken-over claim was given back";
  ASSERT_TRUE(this->store().finish_claim(late.value()).ok());
  EXPECT_EQ(this->store().entry(id).value().recipients, std::vector<std::string>{"b@example.com"});
}

// Deleting a recipient (qmilterctl delete) while it is claimed: the claim's finish then
// reports it, and nothing else goes.
TYPED_TEST_P(QuarantineStoreConformance, FinishAfterTheRecipientWasDeletedIsNotFound) {
  const std::string id = this->stored(this->message("s@example.org", {"a@example.com", "b@example.com"}));
  auto claim = this->store().claim_recipient(id, "a@example.com", this->now());
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  ASSERT_TRUE(this->store().remove_recipient(id, "a@example.com").ok());
  Status finished = this->store().finish_claim(claim.value());
  ASSERT_FALSE(finished.ok());
  EXPECT_TRUE(finished.error().not_found()) << finished.error().message;
  EXPECT_EQ(this->store().entry(id).value().recipients, std::vector<std::string>{"b@example.com"});
}

// A note is absent until written; a replacement wins only at the version it expected, and
// each one gives a version the note never had.
TYPED_TEST_P(QuarantineStoreConformance, NotesAreReplacedOnlyAtTheExpectedVersion) {
  if (!this->store().keeps_notes()) GTEST_SKIP() << "the store keeps no notes";
  QuarantineStore& store = this->store();
  EXPECT_EQ(this->note(store, "digest/a@example.com"), std::nullopt) << "a note never written";
  auto created = store.replace_note("digest/a@example.com", std::nullopt, "first");
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_TRUE(created.value().has_value()) << "creating an absent note lost";
  std::optional<Note> read = this->note(store, "digest/a@example.com");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->value, "first");
  EXPECT_EQ(read->version, *created.value());

  auto again = store.replace_note("digest/a@example.com", std::nullopt, "second");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again.value().has_value()) << "created a note that was already there";
  auto replaced = store.replace_note("digest/a@example.com", *created.value(), "second");
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  ASSERT_TRUE(replaced.value().has_value()) << "a replacement at the current version lost";
  EXPECT_NE(*replaced.value(), *created.value()) << "the version did not change";
  auto stale = store.replace_note("digest/a@example.com", *created.value(), "third");
  ASSERT_TRUE(stale.ok()) << stale.error().message;
  EXPECT_FALSE(stale.value().has_value()) << "a replacement at an old version won";
  read = this->note(store, "digest/a@example.com");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->value, "second");
  EXPECT_EQ(read->version, *replaced.value());
  auto back = store.replace_note("digest/a@example.com", *replaced.value(), "first");
  ASSERT_TRUE(back.ok() && back.value().has_value());
  EXPECT_NE(*back.value(), *created.value()) << "a version came back (a stale writer would win)";
  EXPECT_EQ(this->note(store, "digest/b@example.com"), std::nullopt) << "another key is untouched";
}

// Of writers racing from one version, or to create one note, exactly one wins, and its
// value is what the note holds; across a second store on the same storage too.
TYPED_TEST_P(QuarantineStoreConformance, ConcurrentNoteWritersHaveOneWinner) {
  if (!this->store().keeps_notes()) GTEST_SKIP() << "the store keeps no notes";
  std::vector<QuarantineStore*> stores{&this->store()};
  std::unique_ptr<QuarantineStore> another;
  if constexpr (SharingStoreFactory<TypeParam>) {
    another = this->factory_.make_another();
    ASSERT_NE(another, nullptr);
    stores.push_back(another.get());
  }
  auto [created, failure] = this->concurrent_replacements(stores, "race", std::nullopt, 8);
  EXPECT_EQ(failure, "") << "a lost replacement returns nothing, not an Error";
  ASSERT_EQ(created.size(), 1u) << "creations of one note that won";
  std::optional<Note> read = this->note(*stores.back(), "race");
  ASSERT_TRUE(read.has_value()) << "the other store does not see the note";
  EXPECT_EQ(read->value, created.front());

  auto [replaced, replace_failure] = this->concurrent_replacements(stores, "race", read->version, 8);
  EXPECT_EQ(replace_failure, "");
  ASSERT_EQ(replaced.size(), 1u) << "replacements from one version that won";
  read = this->note(this->store(), "race");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->value, replaced.front());
}

// Values of megabytes, with line breaks, tabs and multi-byte UTF-8, and keys of the longest
// length with every character allowed, come back unchanged.
TYPED_TEST_P(QuarantineStoreConformance, NotesKeepLargeValuesAndLongKeys) {
  if (!this->store().keeps_notes()) GTEST_SKIP() << "the store keeps no notes";
  std::string value;
  for (int line = 0; value.size() < 3 * 1024 * 1024; ++line) {
    value += "sent\tentry-" + std::to_string(line) + "\t\xc3\xa9t\xc3\xa9 \xe2\x82\xac\n";
  }
  std::string key;
  for (char c = 0x21; key.size() < max_note_key_bytes; c = c == 0x7e ? 0x21 : static_cast<char>(c + 1)) key += c;
  ASSERT_TRUE(valid_note_key(key));
  auto written = this->store().replace_note(key, std::nullopt, value);
  ASSERT_TRUE(written.ok()) << written.error().message;
  ASSERT_TRUE(written.value().has_value());
  std::optional<Note> read = this->note(this->store(), key);
  ASSERT_TRUE(read.has_value()) << "the long key was not found again";
  EXPECT_TRUE(read->value == value) << "the large value changed (" << read->value.size() << " of " << value.size()
                                    << " bytes)";
  EXPECT_EQ(this->note(this->store(), key.substr(0, key.size() - 1)), std::nullopt) << "a key's prefix matched it";
  auto emptied = this->store().replace_note(key, read->version, "");
  ASSERT_TRUE(emptied.ok() && emptied.value().has_value());
  read = this->note(this->store(), key);
  ASSERT_TRUE(read.has_value()) << "an empty value is a note, not its absence";
  EXPECT_EQ(read->value, "");
}

REGISTER_TYPED_TEST_SUITE_P(QuarantineStoreConformance, EntryGivesBackWhatWasStored,
                            ReadGivesHeadersAnEmptyLineAndTheBody, ReadChangesNoByteOfTheMessage,
                            UnknownIdsAreErrors,
                            FindWithoutFilterListsEveryEntry, FindAskedForSomeHeadersGivesThose,
                            FindFiltersBySenderAndRecipient,
                            FindByAgeNeverListsAYoungEntry, FindByAgeListsOldEntries,
                            RemoveRecipientKeepsTheOthers, RemovingSomeoneWhoIsNoRecipientIsAnError,
                            RemovingTheLastRecipientRemovesTheEntry, RemoveRemovesOnlyThatEntry,
                            ConcurrentStoresGiveDistinctIdsAndIntactData,
                            ReadersSeeWholeEntriesWhileRecipientsAreRemoved,
                            ConcurrentClaimsOfOneRecipientHaveOneWinner, ClaimsExcludeAnotherStoreOnTheSameStorage,
                            ClaimsOfWhatIsNotHeldAreNotFound, AbandonMakesTheRecipientClaimableAgain,
                            FinishTakesOffTheClaimedRecipientOnly, FinishingTheLastRecipientRemovesTheEntry,
                            AnExpiredClaimIsTakenOver, FinishAfterTheRecipientWasDeletedIsNotFound,
                            NotesAreReplacedOnlyAtTheExpectedVersion, ConcurrentNoteWritersHaveOneWinner,
                            NotesKeepLargeValuesAndLongKeys);

}  // namespace qmilter::sdk::testing
