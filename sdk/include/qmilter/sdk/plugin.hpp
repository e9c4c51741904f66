// How a plugin declares itself. A plugin is a shared object exporting two C entry points:
//   qmilter_plugin_describe() → a plain header {magic, ABI version, kind, name, version}
//   qmilter_plugin_factory()  → the factory that builds instances from typed options
// The host reads the header before it touches any C++ object and refuses a plugin whose ABI
// major differs (or whose minor is newer). Write one line per plugin:
//
//   QMILTER_PLUGIN(MyStore, "mystore", "1.0.0", "Keeps quarantined mail in ...")
//
// where MyStore derives from one of QuarantineStore, Notifier, Whitelist, Action and has
//   static std::vector<OptionSpec> option_schema();
//   static Result<std::unique_ptr<MyStore>> create(const Options&, const PluginContext&);
// Neither these two nor the instance's overrides need to catch, and the overrides must not
// be declared noexcept: guard.hpp holds the rule and why.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "qmilter/sdk/abi.hpp"
#include "qmilter/sdk/action.hpp"
#include "qmilter/sdk/guard.hpp"
#include "qmilter/sdk/logger.hpp"
#include "qmilter/sdk/metrics.hpp"
#include "qmilter/sdk/notifier.hpp"
#include "qmilter/sdk/options.hpp"
#include "qmilter/sdk/release_links.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/store.hpp"
#include "qmilter/sdk/whitelist.hpp"

extern "C" {
// Frozen layout: never change, only the ABI fields' values move.
struct qmilter_plugin_header {
  std::uint32_t magic;      // QMILTER_PLUGIN_MAGIC
  std::uint32_t abi_major;  // QMILTER_SDK_ABI_MAJOR the plugin was built with
  std::uint32_t abi_minor;
  std::uint32_t kind;  // qmilter::sdk::PluginKind
  const char* name;    // the name an INI file uses: quarantine_type = <name>
  const char* version;
  const char* description;
};
}

namespace qmilter::sdk {

// Why the host builds an instance: to filter mail, to serve qmilterctl, or for `qmilter -t`.
// In `check` a plugin validates everything but starts no threads and sends nothing.
enum class Role { daemon, admin, check };

// The quarantine's SMTP relay ([quarantine] or [global] smtp_host/smtp_port), validated by
// the core. A plugin that sends mail reads it here instead of declaring those options.
struct Relay {
  std::string host;
  std::int64_t port = 25;
};

struct PluginContext {
  std::string quarantine;  // the INI section this instance serves
  std::string config_dir;  // directory of the last loaded config file
  std::string state_dir;   // [global] state_dir: where plugins keep durable state (spools)
  Role role = Role::daemon;
  Logger* logger = nullptr;  // never null; outlives the instance
  Relay relay;
  // Makes qmilter-web links for this quarantine; null when qmilter-web is not set up.
  // Outlives the instance.
  const ReleaseLinks* release_links = nullptr;
  // Where the plugin registers its Prometheus series (metrics.hpp); never null, outlives the
  // instance. Series registered here carry the label quarantine="<quarantine>".
  Metrics* metrics = &discarding_metrics();
};

class PluginFactory {
 public:
  virtual ~PluginFactory() = default;
  // The schema, or an Error when option_schema() threw: the host then refuses the plugin.
  virtual Result<std::vector<OptionSpec>> options() const noexcept = 0;
};

// The factory of one kind. The host casts a PluginFactory to this after checking the kind.
template <class Interface>
class Factory : public PluginFactory {
 public:
  virtual Result<std::unique_ptr<Interface>> create(const Options& options,
                                                    const PluginContext& context) const noexcept = 0;
};

namespace detail {

template <class Impl>
constexpr PluginKind kind_of() {
  if constexpr (std::is_base_of_v<QuarantineStore, Impl>) return PluginKind::quarantine;
  else if constexpr (std::is_base_of_v<Notifier, Impl>) return PluginKind::notification;
  else if constexpr (std::is_base_of_v<Whitelist, Impl>) return PluginKind::whitelist;
  else {
    static_assert(std::is_base_of_v<Action, Impl>, "a plugin derives from QuarantineStore, Notifier, Whitelist or Action");
    return PluginKind::action;
  }
}

template <class Impl>
using interface_of = std::conditional_t<
    std::is_base_of_v<QuarantineStore, Impl>, QuarantineStore,
    std::conditional_t<std::is_base_of_v<Notifier, Impl>, Notifier,
                       std::conditional_t<std::is_base_of_v<Whitelist, Impl>, Whitelist, Action>>>;

template <class Impl>
class FactoryFor final : public Factory<interface_of<Impl>> {
  using Interface = interface_of<Impl>;
  static_assert(reject_noexcept_overrides<Impl>());
  // Both run inside the guard below; declared noexcept, a throw would end the daemon there.
  static_assert(!noexcept(Impl::option_schema()), "option_schema() must not be noexcept (see qmilter/sdk/guard.hpp)");
  static_assert(!noexcept(Impl::create(std::declval<const Options&>(), std::declval<const PluginContext&>())),
                "create() must not be noexcept (see qmilter/sdk/guard.hpp)");

 public:
  Result<std::vector<OptionSpec>> options() const noexcept override {
    try {
      return Impl::option_schema();
    } catch (const std::exception& e) {
      return Error{std::string("option_schema() threw: ") + e.what()};
    } catch (...) {
      return Error{"option_schema() threw an unknown exception"};
    }
  }

  Result<std::unique_ptr<Interface>> create(const Options& options,
                                            const PluginContext& context) const noexcept override {
    try {
      auto made = Impl::create(options, context);
      if (!made.ok()) return made.error();
      std::unique_ptr<Interface> instance(std::move(made).value());
      if (!instance) return Error{"plugin made no instance"};
      return std::unique_ptr<Interface>(std::make_unique<typename GuardOf<Interface>::type>(std::move(instance)));
    } catch (const std::exception& e) {
      return Error{std::string("plugin failed to start: ") + e.what()};
    } catch (...) {
      return Error{"plugin failed to start: unknown exception"};
    }
  }
};

}  // namespace detail
}  // namespace qmilter::sdk

#define QMILTER_PLUGIN(Impl, Name, Version, Description)                                                        \
  extern "C" QMILTER_SDK_EXPORT const qmilter_plugin_header* qmilter_plugin_describe() noexcept {              \
    static const qmilter_plugin_header header{                                                                  \
        QMILTER_PLUGIN_MAGIC, QMILTER_SDK_ABI_MAJOR, QMILTER_SDK_ABI_MINOR,                                     \
        static_cast<std::uint32_t>(::qmilter::sdk::detail::kind_of<Impl>()), Name, Version, Description};      \
    return &header;                                                                                             \
  }                                                                                                             \
  extern "C" QMILTER_SDK_EXPORT ::qmilter::sdk::PluginFactory* qmilter_plugin_factory() noexcept {             \
    static ::qmilter::sdk::detail::FactoryFor<Impl> factory;                                                    \
    return &factory;                                                                                            \
  }
