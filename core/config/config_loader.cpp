// load_config: INI files → a complete, immutable Config. Order: read and merge
// the files, check [global], then per quarantine compile the regex, parse ignore_hosts, and
// build its four plugins from their validated options. Any error stops the load with a
// ConfigError naming file, section and option; nothing half-built escapes.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/config/config.hpp"
#include "core/config/config_error.hpp"
#include "core/config/ini_file.hpp"
#include "core/config/milter_socket.hpp"
#include "core/config/option_values.hpp"
#include "core/http/listen_address.hpp"
#include "core/links/link_issuer.hpp"
#include "core/links/web_secret.hpp"
#include "core/plugins/plugin_registry.hpp"
#include "core/rules/regex_probe.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::core {
namespace fs = std::filesystem;

namespace {

using sdk::OptionSpec;
using sdk::OptionType;

// Options the core itself reads from [global].
const std::vector<OptionSpec>& global_schema() {
  static const std::vector<OptionSpec> schema{
      {"quarantines", OptionType::list, true, "", "Comma-separated list of the active quarantines, in precedence order"},
      {"preferred_quarantine_action", OptionType::string, true, "",
       "first or last", {"first", "last"}},
      {"socket", OptionType::string, false, "", "Where to listen (unix:/path, inet:port@host); qmilter -s overrides it"},
      {"socket_mode", OptionType::octal_mode, false, "0660", "Permissions of a unix socket"},
      {"plugin_dir", OptionType::path, false, "", "Directory of the plugins loaded by name, searched before the built-in plugins"},
      {"state_dir", OptionType::path, false, "/var/lib/qmilter", "Where plugins keep durable state, such as the notification outbox"},
      {"spool_dir", OptionType::path, false, "", "Where message bodies larger than body_memory_limit are spooled (default $TMPDIR or /tmp)"},
      {"body_memory_limit", OptionType::integer, false, "1048576", "Body bytes per message kept in memory before spooling", 0},
      {"regex_time_limit", OptionType::integer, false, "2000",
       "Milliseconds all quarantine regexes together may spend on one message", 1, 3'600'000},
      {"web_listen", OptionType::string, false, "127.0.0.1:8025", "Where qmilter-web listens"},
      {"web_base_url", OptionType::string, false, "",
       "The public URL links start with"},
      {"web_secret_file", OptionType::path, false, "", "The secret that signs links"},
      {"web_link_days", OptionType::integer, false, "14", "Days a link in a notification works", 1, 3650},
      {"web_post_limit", OptionType::integer, false, "30",
       "Actions (POST requests) qmilter-web takes per client address per minute", 1, 100000},
      {"web_client_timeout", OptionType::integer, false, "15",
       "Seconds qmilter-web waits for a client that sends nothing before it closes the connection", 1, 3600},
      {"metrics_listen", OptionType::string, false, "",
       "Where qmilter serves its Prometheus metrics (host:port); unset serves none"},
      {"web_metrics_listen", OptionType::string, false, "",
       "Where qmilter-web serves its Prometheus metrics (host:port); unset serves none"},
  };
  return schema;
}

// Options the core reads from each quarantine section ([global] gives defaults).
const std::vector<OptionSpec>& quarantine_schema() {
  static const std::vector<OptionSpec> schema{
      {"regex", OptionType::string, true, "", "Regular expression in Python syntax, searched in \"Name: value\" of each header"},
      // PCRE2 takes a 32-bit limit.
      {"regex_match_limit", OptionType::integer, false, "1000000", "PCRE2 backtracking steps one header may cost", 1,
       4294967295},
      {"regex_depth_limit", OptionType::integer, false, "1000000",
       "PCRE2 backtracking depth of the interpreter (the JIT uses an 8 MB stack per thread)", 1, 4294967295},
      {"regex_failure_action", OptionType::string, false, "tempfail",
       "What a header means that the regex cannot decide",
       {"tempfail", "match"}},
      {"quarantine_type", OptionType::string, true, "", "The storage plugin, by name or the path of its .so"},
      {"action", OptionType::string, true, "", "The action plugin, by name or the path of its .so"},
      {"notification_type", OptionType::string, true, "", "The notification plugin, by name or the path of its .so"},
      {"whitelist_type", OptionType::string, true, "", "The whitelist plugin, by name or the path of its .so"},
      {"smtp_host", OptionType::string, true, "", "Where notifications and released messages are sent"},
      {"smtp_port", OptionType::integer, true, "", "The port of smtp_host", 1, 65535},
      {"ignore_hosts", OptionType::list, false, "", "IPv4/IPv6 addresses or CIDR networks whose mail this quarantine does not look at"},
      {"digest", OptionType::string, false, "off",
       "How often qmilterctl digest reports this quarantine's entries to each recipient",
       {"off", "hourly", "daily", "weekly"}},
      {"digest_template", OptionType::path, false, "", "HTML template file of the digest, read and parsed once at load"},
      {"digest_subject", OptionType::string, false, "Quarantine digest: {DIGEST_COUNT} messages held for you",
       "Subject template of the digest"},
      {"digest_from", OptionType::string, false, "", "From header template of the digest (default: digest_envelope_from)"},
      {"digest_envelope_from", OptionType::string, false, "", "Envelope sender of the digest (default: the null sender)"},
  };
  return schema;
}

struct Declarations;
void warn_replaced_plugins(const Declarations& declared, std::vector<std::string>& warnings);

// The admin's plugin_dir is searched first, then the built-in plugins, so naming a directory
// of one's own plugins does not hide "file", "none" and the others.
std::vector<std::string> plugin_search_path(const std::string& admin_dir, const std::string& fallback) {
  std::vector<std::string> path;
  if (!admin_dir.empty()) path.push_back(admin_dir);
  std::string builtin = fallback.empty() ? default_plugin_dir().string() : fallback;
  std::error_code ec;
  if (admin_dir.empty() || !fs::equivalent(admin_dir, builtin, ec)) path.push_back(builtin);
  return path;
}

// A relative unix socket path is relative to the config directory, like every other path.
std::string resolve_socket(const std::string& socket, const std::string& config_dir) {
  const std::optional<MilterSocket> spec = parse_milter_socket(socket);
  if (!spec || spec->family != MilterSocket::Family::unix_path || fs::path(spec->path).is_absolute()) return socket;
  return spec->prefix + (fs::path(config_dir) / spec->path).lexically_normal().string();
}

std::vector<std::string> default_files() {
  std::vector<std::string> files{"/etc/qmilter/qmilter.conf"};
  if (const char* home = std::getenv("HOME")) files.push_back(std::string(home) + "/qmilter.conf");
  files.push_back("qmilter.conf");
  return files;
}

std::vector<std::string> config_files(const std::vector<std::string>& requested) {
  std::error_code ec;
  if (!requested.empty()) {
    for (const std::string& file : requested) {
      if (!fs::is_regular_file(file, ec)) throw ConfigError(file + ": config file not found");
    }
    return requested;
  }
  std::vector<std::string> found;
  std::string tried;
  for (const std::string& file : default_files()) {
    tried += (tried.empty() ? "" : ", ") + file;
    if (fs::is_regular_file(file, ec)) found.push_back(file);
  }
  if (found.empty()) throw ConfigError("no config file found (tried " + tried + ")");
  return found;
}

// One section's view of the options: its own keys, then [global]'s, then the default.
class SectionView {
 public:
  SectionView(const IniData& ini, std::string section, std::string config_dir)
      : ini_(ini), section_(std::move(section)), config_dir_(std::move(config_dir)) {}

  const std::string& section() const { return section_; }

  // The typed value, or nullopt when unset and without default. Throws ConfigError.
  std::optional<sdk::OptionValue> get(const OptionSpec& spec) const {
    const IniValue* raw = ini_.find(section_, spec.name);
    std::string from = section_;
    if (!raw && section_ != "global") {
      raw = ini_.find("global", spec.name);
      from = "global";
    }
    if (!raw) {
      if (spec.required) {
        throw ConfigError(ini_.section_file(section_) + ": [" + section_ + "] " + spec.name +
                          ": mandatory option missing (" + spec.description + ")");
      }
      if (spec.default_value.empty()) return std::nullopt;
      return convert_option(spec, spec.default_value, config_dir_);
    }
    std::string text = ini_.interpolated(from, *raw);
    if (spec.required && text.empty() && spec.type != OptionType::list) {
      throw error(*raw, from, spec.name, "must not be empty");
    }
    try {
      return convert_option(spec, text, config_dir_);
    } catch (const ConfigError& e) {
      throw error(*raw, from, spec.name, e.what());
    }
  }

  template <class T>
  T get_as(const OptionSpec& spec) const {
    auto value = get(spec);
    return value ? std::get<T>(*value) : T{};
  }

  // An error about this section's instance: at the option's line when the section sets it,
  // else at the section itself (never at the [global] line it may inherit from).
  ConfigError own_error(const std::string& option, const std::string& reason) const {
    if (const IniValue* raw = ini_.find(section_, option)) return error(*raw, section_, option, reason);
    return ConfigError(ini_.section_file(section_) + ": [" + section_ + "] " + option + " (from [global]): " + reason);
  }

  // An error about an option that is set, pointing at where it was set.
  ConfigError error(const std::string& option, const std::string& reason) const {
    if (const IniValue* raw = ini_.find(section_, option)) return error(*raw, section_, option, reason);
    if (const IniValue* raw = ini_.find("global", option)) return error(*raw, "global", option, reason);
    return ConfigError(ini_.section_file(section_) + ": [" + section_ + "] " + option + ": " + reason);
  }

 private:
  static ConfigError error(const IniValue& raw, const std::string& from, const std::string& option,
                           const std::string& reason) {
    return ConfigError(raw.where() + ": [" + from + "] " + option + ": " + reason);
  }

  const IniData& ini_;
  std::string section_;
  std::string config_dir_;
};

const OptionSpec& spec(const std::vector<OptionSpec>& schema, const std::string& name) {
  for (const OptionSpec& s : schema) {
    if (s.name == name) return s;
  }
  throw std::logic_error("no option spec " + name);
}

std::vector<std::string> quarantine_names(const SectionView& global, const IniData& ini,
                                          std::vector<std::string>& warnings) {
  auto listed = global.get_as<std::vector<std::string>>(spec(global_schema(), "quarantines"));
  std::vector<std::string> names;
  for (const std::string& name : listed) {
    if (name == "global") {
      warnings.push_back("[global] quarantines: 'global' is not a quarantine name; dropped");
      continue;
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      throw global.error("quarantines", "quarantine '" + name + "' listed twice");
    }
    if (!ini.has_section(name)) throw global.error("quarantines", "no section [" + name + "] for quarantine '" + name + "'");
    names.push_back(name);
  }
  if (names.empty()) throw global.error("quarantines", "no active quarantine listed");
  return names;
}

Preference read_preference(const IniData& ini, const std::string& config_dir) {
  SectionView global(ini, "global", config_dir);
  // pyquarantine documented the misspelt key; accept both.
  bool misspelt = !ini.find("global", "preferred_quarantine_action") && ini.find("global", "preferred_quarantin_action");
  OptionSpec s = spec(global_schema(), "preferred_quarantine_action");
  if (misspelt) s.name = "preferred_quarantin_action";
  return global.get_as<std::string>(s) == "first" ? Preference::first : Preference::last;
}

std::uint32_t regex_limit(const SectionView& view, const std::string& option) {
  return static_cast<std::uint32_t>(view.get_as<std::int64_t>(spec(quarantine_schema(), option)));
}

// The plugins this load uses, and who declared each plugin option: one name means one thing,
// because [global] can set it for every plugin that reads it.
struct Declarations {
  std::map<std::string, std::pair<OptionSpec, const LoadedPlugin*>> options;
  std::set<const LoadedPlugin*> plugins;
};

// Everything needed to build one plugin instance of a quarantine.
struct PluginBuild {
  const PluginRegistry& registry;
  const SectionView& view;
  const Config& config;
  sdk::Role role;
  sdk::Relay relay;
  Declarations& declared;
  const sdk::ReleaseLinks* release_links;
  sdk::Metrics* metrics;
};

// What is wrong with a web_base_url, if anything. It is the start of every link in a
// notification: a scheme and a host, nothing a URL would read as a query or fragment.
std::optional<std::string> base_url_problem(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return "must start with https:// (or http://)";
  if (scheme_end + 3 >= url.size() || url[scheme_end + 3] == '/') return "has no host";
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '\'') {
      return "may hold only printable ASCII without spaces, quotes or <>";
    }
    if (c == '?' || c == '#') return "may not have a query or fragment (links append /m/<token>)";
  }
  return std::nullopt;
}

// An optional [global] "host:port" option, checked here so that qmilter -t names a bad one.
std::string listen_option(const SectionView& global, const std::string& name) {
  auto text = global.get_as<std::string>(spec(global_schema(), name));
  if (text.empty()) return text;
  if (auto address = http::parse_listen_address(text); !address.ok()) throw global.error(name, address.error().message);
  return text;
}

// [global] web_*: the link settings, and the secret when links are made or checked here.
WebSettings read_web_settings(const SectionView& global) {
  WebSettings web;
  web.listen = global.get_as<std::string>(spec(global_schema(), "web_listen"));
  web.base_url = global.get_as<std::string>(spec(global_schema(), "web_base_url"));
  web.secret_file = global.get_as<std::string>(spec(global_schema(), "web_secret_file"));
  web.link_days = global.get_as<std::int64_t>(spec(global_schema(), "web_link_days"));
  web.post_limit = global.get_as<std::int64_t>(spec(global_schema(), "web_post_limit"));
  web.client_timeout = global.get_as<std::int64_t>(spec(global_schema(), "web_client_timeout"));
  web.metrics_listen = listen_option(global, "web_metrics_listen");
  if (!web.base_url.empty()) {
    if (auto problem = base_url_problem(web.base_url)) {
      throw global.error("web_base_url", "'" + web.base_url + "' " + *problem);
    }
    while (web.base_url.back() == '/') web.base_url.pop_back();  // the host check keeps "x://h"
    if (web.secret_file.empty()) throw global.error("web_base_url", "links need web_secret_file to sign them");
  }
  if (!web.secret_file.empty()) {
    auto key = links::load_secret(web.secret_file);
    if (!key.ok()) throw global.error("web_secret_file", key.error().message);
    web.key = std::make_shared<const std::string>(std::move(key).value());
  }
  return web;
}

bool is_core_option(const std::string& name) {
  for (const auto* schema : {&global_schema(), &quarantine_schema()}) {
    for (const OptionSpec& s : *schema) {
      if (s.name == name) return true;
    }
  }
  return false;
}

// Two plugins in one configuration must mean the same by an option name. (A schema wrong on
// its own never gets here: the registry refuses that plugin, naming its file and the option.)
void check_plugin_schema(const PluginBuild& build, const LoadedPlugin& plugin, const std::string& type_option) {
  const std::string who = std::string(kind_name(plugin.kind)) + " plugin '" + plugin.name + "' (" + plugin.file.string() + ")";
  if (!build.declared.plugins.insert(&plugin).second) return;  // checked already
  for (const OptionSpec& option : plugin.options) {
    auto [it, fresh] = build.declared.options.emplace(option.name, std::make_pair(option, &plugin));
    if (!fresh && it->second.second != &plugin && !same_declaration(it->second.first, option)) {
      throw build.view.error(type_option, who + ": option '" + option.name + "' is declared differently by " +
                                              kind_name(it->second.second->kind) + " plugin '" +
                                              it->second.second->name + "' (" + it->second.second->file.string() + ")");
    }
  }
}

template <class Interface>
PluginSlot<Interface> build_plugin(const PluginBuild& build, const std::string& type_option) {
  std::string type = build.view.get_as<std::string>(spec(quarantine_schema(), type_option));
  const LoadedPlugin* plugin = nullptr;
  try {
    plugin = &build.registry.find(Interface::plugin_kind, type, build.config.config_dir);
  } catch (const PluginError& e) {
    throw build.view.error(type_option, e.what());
  }
  check_plugin_schema(build, *plugin, type_option);
  std::map<std::string, sdk::OptionValue> values;
  for (const OptionSpec& option : plugin->options) {
    if (auto value = build.view.get(option)) values.emplace(option.name, std::move(*value));
  }

  PluginSlot<Interface> slot;
  slot.type = type;
  slot.plugin_name = plugin->name;
  slot.abi_minor = plugin->abi_minor;
  slot.logger = std::make_unique<PluginLogger>(build.view.section() + "/" + plugin->name);
  sdk::PluginContext context{build.view.section(), build.config.config_dir, build.config.state_dir, build.role,
                             slot.logger.get(), build.relay, build.release_links, build.metrics};
  auto& factory = static_cast<const sdk::Factory<Interface>&>(*plugin->factory);
  auto made = factory.create(sdk::Options(build.view.section(), std::move(values)), context);
  // Name the quarantine that failed, even when its plugin type is inherited from [global].
  if (!made.ok()) {
    throw build.view.own_error(type_option, std::string(kind_name(Interface::plugin_kind)) + " plugin '" +
                                                plugin->name + "' (" + plugin->file.string() + "): " + made.error().message);
  }
  if (!made.value()) throw build.view.own_error(type_option, "plugin '" + plugin->name + "' returned no instance");
  slot.instance = std::move(made).value();
  return slot;
}

DigestPeriod digest_period(const std::string& value) {
  if (value == "hourly") return DigestPeriod::hourly;
  if (value == "daily") return DigestPeriod::daily;
  if (value == "weekly") return DigestPeriod::weekly;
  return DigestPeriod::off;
}

compose::TextTemplate digest_text_template(const SectionView& view, const std::string& option) {
  auto parsed = compose::TextTemplate::parse(view.get_as<std::string>(spec(quarantine_schema(), option)));
  if (!parsed.ok()) throw view.error(option, parsed.error().message);
  return std::move(parsed).value();
}

// The digest settings; a template that cannot be read or parsed is a load error (qmilter -t).
DigestSettings read_digest(const SectionView& view) {
  DigestSettings digest;
  digest.period = digest_period(view.get_as<std::string>(spec(quarantine_schema(), "digest")));
  if (digest.period == DigestPeriod::off) return digest;
  digest.template_path = view.get_as<std::string>(spec(quarantine_schema(), "digest_template"));
  if (digest.template_path.empty()) throw view.own_error("digest_template", "digest is on, but no template is given");
  std::ifstream in(digest.template_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw view.error("digest_template", digest.template_path + ": cannot read it");
  if (!sdk::is_valid_utf8(text.str())) throw view.error("digest_template", digest.template_path + ": not valid UTF-8");
  auto body = compose::TextTemplate::parse(text.str());
  if (!body.ok()) throw view.error("digest_template", digest.template_path + ": " + body.error().message);
  digest.body = std::move(body).value();
  digest.subject = digest_text_template(view, "digest_subject");
  digest.from = digest_text_template(view, "digest_from");
  digest.envelope_from = view.get_as<std::string>(spec(quarantine_schema(), "digest_envelope_from"));
  return digest;
}

Quarantine build_quarantine(const std::string& name, std::size_t index, const IniData& ini, const Config& config,
                            const PluginRegistry& registry, sdk::Role role, Declarations& declared) {
  SectionView view(ini, name, config.config_dir);
  Quarantine q;
  q.name = name;
  q.index = index;
  RegexLimits limits;
  limits.match_limit = regex_limit(view, "regex_match_limit");
  limits.depth_limit = regex_limit(view, "regex_depth_limit");
  try {
    q.regex = Regex(view.get_as<std::string>(spec(quarantine_schema(), "regex")), limits);
  } catch (const RegexError& e) {
    throw view.error("regex", e.what());
  }
  q.on_regex_failure = view.get_as<std::string>(spec(quarantine_schema(), "regex_failure_action")) == "match"
                           ? RegexFailureAction::match
                           : RegexFailureAction::tempfail;
  try {
    q.ignore_hosts = HostSet(view.get_as<std::vector<std::string>>(spec(quarantine_schema(), "ignore_hosts")));
  } catch (const HostSetError& e) {
    throw view.error("ignore_hosts", e.what());
  }
  q.smtp_host = view.get_as<std::string>(spec(quarantine_schema(), "smtp_host"));
  q.smtp_port = view.get_as<std::int64_t>(spec(quarantine_schema(), "smtp_port"));
  q.digest = read_digest(view);

  if (config.web.key && !config.web.base_url.empty()) {
    q.release_links = std::make_unique<links::LinkIssuer>(config.web.key, config.web.base_url, name, config.web.link_days);
  }
  q.plugin_metrics = std::make_unique<QuarantineScopedMetrics>(process_metrics(), name);
  q.metrics = quarantine_series(name);
  PluginBuild build{registry, view,     config, role, sdk::Relay{q.smtp_host, q.smtp_port},
                    declared, q.release_links.get(), q.plugin_metrics.get()};
  q.store = build_plugin<sdk::QuarantineStore>(build, "quarantine_type");
  q.notifier = build_plugin<sdk::Notifier>(build, "notification_type");
  q.whitelist = build_plugin<sdk::Whitelist>(build, "whitelist_type");
  q.action = build_plugin<sdk::Action>(build, "action");
  return q;
}

// A library is never unloaded, so a plugin file replaced since it was loaded does not take
// effect on reload; the admin must hear that instead of believing the new code runs.
void warn_replaced_plugins(const Declarations& declared, std::vector<std::string>& warnings) {
  for (const LoadedPlugin* plugin : declared.plugins) {
    if (!plugin->replaced_on_disk()) continue;
    warnings.push_back(plugin->file.string() + ": plugin file changed on disk since it was loaded; qmilter keeps "
                       "running the code it loaded first (a plugin library is never unloaded): restart qmilter "
                       "to run the new file");
  }
}

void warn_unknown_options(const IniData& ini, const std::vector<std::string>& sections, const Declarations& declared,
                          std::vector<std::string>& warnings) {
  std::set<std::string> known;
  for (const auto& [name, declaration] : declared.options) known.insert(name);
  for (const auto& s : global_schema()) known.insert(s.name);
  for (const auto& s : quarantine_schema()) known.insert(s.name);
  known.insert("preferred_quarantin_action");
  for (const std::string& section : sections) {
    for (const std::string& key : ini.keys(section)) {
      if (known.count(key)) continue;
      const IniValue* raw = ini.find(section, key);
      warnings.push_back(raw->where() + ": [" + section + "] " + key + ": unknown option (ignored)");
    }
  }
}

}  // namespace

std::vector<std::string> plugin_schema_problems(const std::vector<OptionSpec>& schema) {
  std::vector<std::string> problems = schema_mistakes(schema);
  for (const OptionSpec& option : schema) {
    if (is_core_option(option.name)) {
      problems.push_back("option '" + option.name + "' is one of qmilter's own options; a plugin cannot declare it");
    }
  }
  return problems;
}

std::int64_t digest_period_seconds(DigestPeriod period) {
  switch (period) {
    case DigestPeriod::hourly: return 3600;
    case DigestPeriod::daily: return 86400;
    case DigestPeriod::weekly: return 7 * 86400;
    case DigestPeriod::off: break;
  }
  return 0;
}

const std::vector<OptionSpec>& global_options() { return global_schema(); }
const std::vector<OptionSpec>& quarantine_options() { return quarantine_schema(); }

std::vector<std::string> configured_plugin_path(const LoadRequest& request) {
  std::vector<std::string> files = config_files(request.files);
  IniData ini = IniData::read(files);
  std::string config_dir = fs::absolute(files.back()).parent_path().string();
  SectionView global(ini, "global", config_dir);
  return plugin_search_path(global.get_as<std::string>(spec(global_schema(), "plugin_dir")),
                            request.plugin_dir_fallback);
}

std::string configured_web_secret_file(const LoadRequest& request) {
  std::vector<std::string> files = config_files(request.files);
  IniData ini = IniData::read(files);
  SectionView global(ini, "global", fs::absolute(files.back()).parent_path().string());
  return global.get_as<std::string>(spec(global_schema(), "web_secret_file"));
}

std::shared_ptr<const Config> load_config(const LoadRequest& request) {
  auto config = std::make_shared<Config>();
  config->files = config_files(request.files);
  IniData ini = IniData::read(config->files);
  config->config_dir = fs::absolute(config->files.back()).parent_path().string();
  if (!ini.has_section("global")) throw ConfigError(config->files.back() + ": section [global] missing");

  SectionView global(ini, "global", config->config_dir);
  std::vector<std::string> names = quarantine_names(global, ini, config->warnings);
  config->preference = read_preference(ini, config->config_dir);
  config->socket = resolve_socket(global.get_as<std::string>(spec(global_schema(), "socket")), config->config_dir);
  const std::string plugin_dir = global.get_as<std::string>(spec(global_schema(), "plugin_dir"));
  std::error_code ec;
  // A mistyped plugin_dir must not pass unnoticed because the built-in plugins still load.
  if (!plugin_dir.empty() && !fs::is_directory(plugin_dir, ec)) {
    throw global.error("plugin_dir", "'" + plugin_dir + "' is not a directory");
  }
  config->plugin_path = plugin_search_path(plugin_dir, request.plugin_dir_fallback);
  config->state_dir = global.get_as<std::string>(spec(global_schema(), "state_dir"));
  config->spool_dir = global.get_as<std::string>(spec(global_schema(), "spool_dir"));
  if (config->spool_dir.empty()) config->spool_dir = fs::temp_directory_path().string();
  config->socket_mode = static_cast<unsigned>(global.get_as<std::int64_t>(spec(global_schema(), "socket_mode")));
  config->body_memory_limit =
      static_cast<std::uint64_t>(global.get_as<std::int64_t>(spec(global_schema(), "body_memory_limit")));
  config->regex_time_limit =
      std::chrono::milliseconds(global.get_as<std::int64_t>(spec(global_schema(), "regex_time_limit")));

  config->web = read_web_settings(global);
  config->metrics_listen = listen_option(global, "metrics_listen");

  PluginRegistry registry(std::vector<fs::path>(config->plugin_path.begin(), config->plugin_path.end()),
                          plugin_schema_problems);
  Declarations declared;
  for (std::size_t i = 0; i < names.size(); ++i) {
    config->quarantines.push_back(build_quarantine(names[i], i, ini, *config, registry, request.role, declared));
    if (request.role != sdk::Role::check) continue;
    if (auto probe = catastrophic_backtracking(config->quarantines.back().regex)) {
      SectionView view(ini, names[i], config->config_dir);
      config->warnings.push_back(std::string(view.error("regex", "backtracking gives up on " + *probe +
                                                                     "; long headers cost CPU and may be undecidable")
                                                 .what()));
    }
  }
  for (const Quarantine& q : config->quarantines) config->actions_edit_messages |= q.action.instance->edits_message();
  std::vector<std::string> sections = names;
  sections.push_back("global");
  warn_unknown_options(ini, sections, declared, config->warnings);
  warn_replaced_plugins(declared, config->warnings);
  if (request.role == sdk::Role::check) {
    for (const std::string& duplicate : registry.scan().duplicates) config->warnings.push_back(duplicate);
  }
  return config;
}

}  // namespace qmilter::core
