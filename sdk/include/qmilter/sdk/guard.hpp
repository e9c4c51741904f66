// Exception guards. QMILTER_PLUGIN wraps every instance a plugin's factory makes in the
// guard of its kind. The guard's code is compiled into the plugin, so an exception thrown
// by a plugin method is caught inside the plugin and reaches the host as an Error (the
// host answers TEMPFAIL) — no exception ever crosses the shared-object boundary, and a
// plugin bug costs one message a retry, not the daemon. Overrides should therefore not be
// declared noexcept unless they catch everything themselves.
#pragma once

#include <exception>
#include <memory>
#include <string>
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
  Result<Verdict> decide(const MessageView& m) noexcept override {
    return guarded<Result<Verdict>>("decide", [&] { return inner_->decide(m); });
  }

 private:
  std::unique_ptr<Action> inner_;
};

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
