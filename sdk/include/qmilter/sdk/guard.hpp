// The one exception rule of the SDK. QMILTER_PLUGIN wraps every instance a plugin's
// factory makes in the guard of its kind, and the guard's code is compiled into the plugin:
// an exception thrown by any method of a plugin (or by option_schema() and create()) is
// caught inside the plugin and reaches the host as an Error, which on the message path makes
// the host answer TEMPFAIL. So a plugin override need not catch anything, and no exception
// ever crosses the shared-object boundary.
//
// The guard can only catch what leaves an override. An override declared noexcept that
// throws calls std::terminate inside the plugin, before the guard sees anything, and the
// daemon dies. The interfaces' methods are not noexcept, but C++ lets an override add it,
// so that alone does not stop an author; QMILTER_PLUGIN therefore refuses to compile a
// plugin that declares one of its overrides noexcept (reject_noexcept_overrides), turning a
// crash in production into a compile error naming the method. Destructors are noexcept by
// the language: they must not throw. Catch by hand only to turn a specific exception into
// a better message than the guard's.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "qmilter/sdk/action.hpp"
#include "qmilter/sdk/notifier.hpp"
#include "qmilter/sdk/store.hpp"
#include "qmilter/sdk/whitelist.hpp"

namespace qmilter::sdk::detail {

// Runs call() and turns any exception into an Error naming the method.
template <class R, class F>
R guarded(const char* method, F&& call) noexcept {
  try {
    return call();
  } catch (const std::exception& e) {
    try {
      return Error{std::string(method) + ": unexpected exception: " + e.what()};
    } catch (...) {
    }
  } catch (...) {
    try {
      return Error{std::string(method) + ": unexpected exception"};
    } catch (...) {
    }
  }
  std::terminate();  // out of memory while reporting an exception: nothing sane is left
}

class GuardedStore final : public QuarantineStore {
 public:
  explicit GuardedStore(std::unique_ptr<QuarantineStore> inner) : inner_(std::move(inner)) {}
  bool keeps_messages() const noexcept override {
    try {
      return inner_->keeps_messages();
    } catch (...) {
      return true;  // when in doubt, keep the body
    }
  }
  Result<std::string> store(const MessageView& m, const std::vector<std::string>& r, const Match& x) noexcept override {
    return guarded<Result<std::string>>("store", [&] { return inner_->store(m, r, x); });
  }
  Result<std::vector<StoredEntry>> find(const EntryFilter& f) const noexcept override {
    return guarded<Result<std::vector<StoredEntry>>>("find", [&] { return inner_->find(f); });
  }
  Result<StoredEntry> entry(const std::string& id) const noexcept override {
    return guarded<Result<StoredEntry>>("entry", [&] { return inner_->entry(id); });
  }
  Status read(const std::string& id, const ChunkVisitor& v) const noexcept override {
    return guarded<Status>("read", [&] { return inner_->read(id, v); });
  }
  Status remove_recipient(const std::string& id, const std::string& r) noexcept override {
    return guarded<Status>("remove_recipient", [&] { return inner_->remove_recipient(id, r); });
  }
  Status remove(const std::string& id) noexcept override {
    return guarded<Status>("remove", [&] { return inner_->remove(id); });
  }
  Result<RecipientClaim> claim_recipient(const std::string& id, const std::string& r, std::int64_t now) noexcept override {
    return guarded<Result<RecipientClaim>>("claim_recipient", [&] { return inner_->claim_recipient(id, r, now); });
  }
  Status finish_claim(const RecipientClaim& c) noexcept override {
    return guarded<Status>("finish_claim", [&] { return inner_->finish_claim(c); });
  }
  Status abandon_claim(const RecipientClaim& c) noexcept override {
    return guarded<Status>("abandon_claim", [&] { return inner_->abandon_claim(c); });
  }
  bool keeps_notes() const noexcept override {
    try {
      return inner_->keeps_notes();
    } catch (...) {
      return false;  // the host then keeps its state itself
    }
  }
  Result<std::optional<Note>> read_note(const std::string& k) const noexcept override {
    return guarded<Result<std::optional<Note>>>("read_note", [&] { return inner_->read_note(k); });
  }
  Result<std::optional<std::int64_t>> replace_note(const std::string& k, std::optional<std::int64_t> e,
                                                   const std::string& v) noexcept override {
    return guarded<Result<std::optional<std::int64_t>>>("replace_note", [&] { return inner_->replace_note(k, e, v); });
  }

 private:
  std::unique_ptr<QuarantineStore> inner_;
};

class GuardedNotifier final : public Notifier {
 public:
  explicit GuardedNotifier(std::unique_ptr<Notifier> inner) : inner_(std::move(inner)) {}
  bool sends_notifications() const noexcept override {
    try {
      return inner_->sends_notifications();
    } catch (...) {
      return true;
    }
  }
  Status notify(const MessageView& m, const std::vector<std::string>& r, std::string_view id,
                const Match& x) noexcept override {
    return guarded<Status>("notify", [&] { return inner_->notify(m, r, id, x); });
  }

 private:
  std::unique_ptr<Notifier> inner_;
};

class GuardedWhitelist final : public Whitelist {
 public:
  explicit GuardedWhitelist(std::unique_ptr<Whitelist> inner) : inner_(std::move(inner)) {}
  Result<std::set<std::string>> whitelisted(std::string_view s, const std::vector<std::string>& r) noexcept override {
    return guarded<Result<std::set<std::string>>>("whitelisted", [&] { return inner_->whitelisted(s, r); });
  }
  Result<std::vector<WhitelistEntry>> list(const WhitelistFilter& f) const noexcept override {
    return guarded<Result<std::vector<WhitelistEntry>>>("list", [&] { return inner_->list(f); });
  }
  Result<std::vector<WhitelistEntry>> covering(std::string_view s, std::string_view r) const noexcept override {
    return guarded<Result<std::vector<WhitelistEntry>>>("covering", [&] { return inner_->covering(s, r); });
  }
  Result<std::int64_t> add(const WhitelistEntry& e) noexcept override {
    return guarded<Result<std::int64_t>>("add", [&] { return inner_->add(e); });
  }
  Status remove(std::int64_t id) noexcept override {
    return guarded<Status>("remove", [&] { return inner_->remove(id); });
  }
  Result<std::int64_t> purge() noexcept override {
    return guarded<Result<std::int64_t>>("purge", [&] { return inner_->purge(); });
  }

 private:
  std::unique_ptr<Whitelist> inner_;
};

class GuardedAction final : public Action {
 public:
  explicit GuardedAction(std::unique_ptr<Action> inner) : inner_(std::move(inner)) {}
  Result<Verdict> decide(const MessageView& m, std::string_view id) noexcept override {
    return guarded<Result<Verdict>>("decide", [&] { return inner_->decide(m, id); });
  }
  // A throw here cannot become an Error: the action is taken as one that edits nothing.
  bool edits_message() const noexcept override {
    try {
      return inner_->edits_message();
    } catch (...) {
      return false;
    }
  }

 private:
  std::unique_ptr<Action> inner_;
};

// The compile-time half of the rule above, one assertion per method so the error names it.
// `{ call } noexcept` asks about the override the guard calls; overrides must be public so
// that the question can be asked (a private noexcept override would slip through). The
// static option_schema() and create() are checked where QMILTER_PLUGIN uses them.
template <class Impl>
constexpr bool reject_noexcept_overrides() {
  if constexpr (std::is_base_of_v<QuarantineStore, Impl>) {
    static_assert(requires(Impl& p, const MessageView& m, const std::vector<std::string>& r, const Match& x,
                           const EntryFilter& f, const std::string& id, const ChunkVisitor& v) {
                    p.keeps_messages(); p.store(m, r, x); p.find(f); p.entry(id); p.read(id, v);
                    p.remove_recipient(id, id); p.remove(id); },
                  "QuarantineStore overrides must be public (see qmilter/sdk/guard.hpp)");
    static_assert(requires(Impl& p, const std::string& id, const RecipientClaim& c) {
                    p.claim_recipient(id, id, std::int64_t{0}); p.finish_claim(c); p.abandon_claim(c); },
                  "QuarantineStore overrides must be public (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c) { { c.keeps_messages() } noexcept; },
                  "QuarantineStore::keeps_messages override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const MessageView& m, const std::vector<std::string>& r, const Match& x) {
                    { p.store(m, r, x) } noexcept; },
                  "QuarantineStore::store override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c, const EntryFilter& f) { { c.find(f) } noexcept; },
                  "QuarantineStore::find override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c, const std::string& id) { { c.entry(id) } noexcept; },
                  "QuarantineStore::entry override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c, const std::string& id, const ChunkVisitor& v) { { c.read(id, v) } noexcept; },
                  "QuarantineStore::read override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const std::string& id) { { p.remove_recipient(id, id) } noexcept; },
                  "QuarantineStore::remove_recipient override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const std::string& id) { { p.remove(id) } noexcept; },
                  "QuarantineStore::remove override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const std::string& id) { { p.claim_recipient(id, id, std::int64_t{0}) } noexcept; },
                  "QuarantineStore::claim_recipient override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const RecipientClaim& c) { { p.finish_claim(c) } noexcept; },
                  "QuarantineStore::finish_claim override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const RecipientClaim& c) { { p.abandon_claim(c) } noexcept; },
                  "QuarantineStore::abandon_claim override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(requires(Impl& p, const std::string& k, std::optional<std::int64_t> e) {
                    p.keeps_notes(); p.read_note(k); p.replace_note(k, e, k); },
                  "QuarantineStore overrides must be public (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c) { { c.keeps_notes() } noexcept; },
                  "QuarantineStore::keeps_notes override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c, const std::string& k) { { c.read_note(k) } noexcept; },
                  "QuarantineStore::read_note override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const std::string& k, std::optional<std::int64_t> e) {
                    { p.replace_note(k, e, k) } noexcept; },
                  "QuarantineStore::replace_note override must not be noexcept (see qmilter/sdk/guard.hpp)");
  } else if constexpr (std::is_base_of_v<Notifier, Impl>) {
    static_assert(requires(Impl& p, const MessageView& m, const std::vector<std::string>& r, std::string_view id,
                           const Match& x) { p.sends_notifications(); p.notify(m, r, id, x); },
                  "Notifier overrides must be public (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c) { { c.sends_notifications() } noexcept; },
                  "Notifier::sends_notifications override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const MessageView& m, const std::vector<std::string>& r, std::string_view id,
                            const Match& x) { { p.notify(m, r, id, x) } noexcept; },
                  "Notifier::notify override must not be noexcept (see qmilter/sdk/guard.hpp)");
  } else if constexpr (std::is_base_of_v<Whitelist, Impl>) {
    static_assert(requires(Impl& p, std::string_view s, const std::vector<std::string>& r, const WhitelistFilter& f,
                           const WhitelistEntry& e, std::int64_t id) {
                    p.whitelisted(s, r); p.list(f); p.covering(s, s); p.add(e); p.remove(id); p.purge(); },
                  "Whitelist overrides must be public (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, std::string_view s, const std::vector<std::string>& r) {
                    { p.whitelisted(s, r) } noexcept; },
                  "Whitelist::whitelisted override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c, const WhitelistFilter& f) { { c.list(f) } noexcept; },
                  "Whitelist::list override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(const Impl& c, std::string_view s) { { c.covering(s, s) } noexcept; },
                  "Whitelist::covering override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const WhitelistEntry& e) { { p.add(e) } noexcept; },
                  "Whitelist::add override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, std::int64_t id) { { p.remove(id) } noexcept; },
                  "Whitelist::remove override must not be noexcept (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p) { { p.purge() } noexcept; },
                  "Whitelist::purge override must not be noexcept (see qmilter/sdk/guard.hpp)");
  } else if constexpr (std::is_base_of_v<Action, Impl>) {
    static_assert(requires(Impl& p, const MessageView& m, std::string_view id) { p.decide(m, id); p.edits_message(); },
                  "Action overrides must be public (see qmilter/sdk/guard.hpp)");
    static_assert(!requires(Impl& p, const MessageView& m, std::string_view id) { { p.decide(m, id) } noexcept; },
                  "Action::decide override must not be noexcept (see qmilter/sdk/guard.hpp)");
  }
  return true;
}

template <class Interface>
struct GuardOf;
template <>
struct GuardOf<QuarantineStore> {
  using type = GuardedStore;
};
template <>
struct GuardOf<Notifier> {
  using type = GuardedNotifier;
};
template <>
struct GuardOf<Whitelist> {
  using type = GuardedWhitelist;
};
template <>
struct GuardOf<Action> {
  using type = GuardedAction;
};

}  // namespace qmilter::sdk::detail
