// The immutable configuration of one generation: global options and the ordered quarantines,
// each with its compiled regex, ignore_hosts and four plugin instances. Built completely by
// load_config() before use; a connection holds a shared_ptr<const Config> from connect to
// close, so a reload never changes a running message. Destroyed when its last user ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/compose/text_template.hpp"
#include "core/log/plugin_logger.hpp"
#include "core/metrics/host_metrics.hpp"
#include "core/rules/host_set.hpp"
#include "core/rules/preference.hpp"
#include "core/rules/regex.hpp"
#include "core/rules/regex_failure_action.hpp"
#include "qmilter/sdk/action.hpp"
#include "qmilter/sdk/notifier.hpp"
#include "qmilter/sdk/plugin.hpp"
#include "qmilter/sdk/release_links.hpp"
#include "qmilter/sdk/store.hpp"
#include "qmilter/sdk/whitelist.hpp"

namespace qmilter::core {


// A plugin instance together with the name it was configured by (for logs and the CLI).
template <class Interface>
struct PluginSlot {
  std::string type;                      // the INI value: "file", "none", "/path/x.so"
  std::string plugin_name;               // the plugin's declared name
  unsigned abi_minor = sdk::abi_minor;   // the SDK minor it was built with: which virtuals it has
  std::unique_ptr<PluginLogger> logger;  // outlives `instance` (declared first, destroyed last)
  std::unique_ptr<Interface> instance;
};

// How often `qmilterctl digest` reports a quarantine's entries to their recipients.
enum class DigestPeriod { off, hourly, daily, weekly };

// Seconds between two digests of a period (0 for off).
std::int64_t digest_period_seconds(DigestPeriod period);

// [quarantine] digest*: the templates parsed at load. Unused while period is off.
struct DigestSettings {
  DigestPeriod period = DigestPeriod::off;
  compose::TextTemplate body;     // digest_template
  compose::TextTemplate subject;  // digest_subject
  compose::TextTemplate from;     // digest_from ("" = the envelope sender's address)
  std::string template_path;      // for messages
  std::string envelope_from;      // "" = the null sender <>
};

struct Quarantine {
  std::string name;       // the INI section
  std::size_t index = 0;  // precedence: 0 is the highest
  Regex regex;
  RegexFailureAction on_regex_failure = RegexFailureAction::tempfail;
  HostSet ignore_hosts;
  std::string smtp_host;
  std::int64_t smtp_port = 25;
  DigestSettings digest;
  // qmilter-web links for this quarantine, null without [global] web_base_url. Declared
  // before the plugins, which may hold a pointer to it: it is destroyed after them.
  std::unique_ptr<sdk::ReleaseLinks> release_links;
  // The plugins' view of the metrics (their series get quarantine="<name>"); likewise
  // destroyed after them. `metrics` holds the host's own series of this quarantine.
  std::unique_ptr<QuarantineScopedMetrics> plugin_metrics;
  QuarantineSeries metrics;
  PluginSlot<sdk::QuarantineStore> store;
  PluginSlot<sdk::Notifier> notifier;
  PluginSlot<sdk::Whitelist> whitelist;
  PluginSlot<sdk::Action> action;

  // Whether a match here needs the message body (to store or to notify).
  bool needs_body() const noexcept {
    return store.instance->keeps_messages() || notifier.instance->sends_notifications();
  }
};

// [global] web_*: qmilter-web and the links notifications carry.
struct WebSettings {
  std::string listen;       // "host:port" qmilter-web binds to
  std::string base_url;     // without a trailing '/'; "" = no links
  std::string secret_file;  // "" = none configured
  std::int64_t link_days = 14;
  std::int64_t post_limit = 30;          // POSTs per client address per minute
  std::int64_t client_timeout = 15;      // seconds of silence before a connection is closed
  std::shared_ptr<const std::string> key;  // the secret, loaded when secret_file is set
  std::string metrics_listen;  // "host:port" of qmilter-web's /metrics; "" = none
};

struct Config {
  std::vector<std::string> files;   // the config files read, in order
  std::string config_dir;           // directory of the last one: base of relative paths
  std::string socket;               // [global] socket (qmilter -s overrides)
  unsigned socket_mode = 0660;      // permissions of a unix socket
  std::vector<std::string> plugin_path;  // where plugins are looked up by name, in order
  std::string state_dir;            // durable plugin state (outboxes)
  std::uint64_t body_memory_limit;  // body bytes kept in memory before spilling to a file
  std::string spool_dir;            // where spilled bodies go
  std::chrono::milliseconds regex_time_limit{2000};  // all regexes together, per message
  Preference preference = Preference::first;
  WebSettings web;
  std::string metrics_listen;       // "host:port" of the daemon's /metrics; "" = none
  std::vector<Quarantine> quarantines;  // in precedence order
  bool actions_edit_messages = false;   // some action may add headers (the tag action)
  std::vector<std::string> warnings;    // e.g. unknown options; shown by qmilter -t and logged

  const Quarantine* find(const std::string& name) const {
    for (const Quarantine& q : quarantines) {
      if (q.name == name) return &q;
    }
    return nullptr;
  }
};

struct LoadRequest {
  std::vector<std::string> files;  // -c values; empty = those of /etc/qmilter/qmilter.conf,
                                   // $HOME/qmilter.conf and ./qmilter.conf that exist
  sdk::Role role = sdk::Role::daemon;
  std::string plugin_dir_fallback;  // where plugins are when [global] plugin_dir is unset
};

// Reads, validates and instantiates everything. Throws ConfigError whose what() names the
// file, the section, the option and what is wrong.
std::shared_ptr<const Config> load_config(const LoadRequest& request);

// Only the plugin search path the files give ([global] plugin_dir, then the built-in
// directory), for listing plugins when the rest of the config may not load. Throws ConfigError.
std::vector<std::string> configured_plugin_path(const LoadRequest& request);

// Only [global] web_secret_file ("" when unset), for creating the secret the rest of the
// configuration needs before it can load. Throws ConfigError.
std::string configured_web_secret_file(const LoadRequest& request);

// What is wrong with a plugin's option schema on its own or beside the core's options (the
// loader refuses such a plugin; qmilter -l lists it as refused).
std::vector<std::string> plugin_schema_problems(const std::vector<sdk::OptionSpec>& schema);

// The core's own option schemas: [global], and each quarantine section ([global] defaults).
const std::vector<sdk::OptionSpec>& global_options();
const std::vector<sdk::OptionSpec>& quarantine_options();

}  // namespace qmilter::core
