// qmilter-web: the recipients' HTTP service. Loads the same configuration and plugins as
// qmilterctl (admin role), serves <web_base_url>/m/<token> on web_listen until SIGTERM or
// SIGINT; SIGHUP reloads the configuration. -t checks the configuration, the secret and the
// listen address, and exits.
#include <signal.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "core/config/config.hpp"
#include "core/log/log_sink.hpp"
#include "core/http/http_server.hpp"
#include "core/http/listen_address.hpp"
#include "core/metrics/host_metrics.hpp"
#include "core/metrics/metrics_endpoint.hpp"
#include "core/web/web_service.hpp"

namespace {

using namespace qmilter;

// The configuration in the given role, with what qmilter-web needs beyond what qmilter does.
std::shared_ptr<const core::Config> load(const std::vector<std::string>& files, sdk::Role role) {
  auto config = core::load_config({files, role, {}});
  if (!config->web.key) {
    throw std::runtime_error("[global] web_secret_file is not set: qmilter-web needs the secret that signs links "
                             "(qmilterctl web secret creates it)");
  }
  return config;
}

int serve(const std::vector<std::string>& files, std::shared_ptr<const core::Config> config,
          const http::ListenAddress& address) {
  // Blocked before any thread starts, so that every thread inherits the mask and sigwait
  // below is the only place these arrive.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  http::ServerLimits limits;
  limits.idle_timeout_seconds = static_cast<unsigned>(config->web.client_timeout);
  const std::string metrics_listen = config->web.metrics_listen;
  core::register_process_metrics(QMILTER_VERSION);
  auto service = std::make_shared<web::WebService>(std::move(config));
  auto server =
      http::HttpServer::start(address, [service](const http::Request& r) { return service->handle(r); }, limits);
  if (!server.ok()) {
    core::log::error("", "qmilter-web: " + server.error().message);
    return 1;
  }
  core::log::info("", "qmilter-web: listening on " + address.text);
  std::unique_ptr<http::HttpServer> metrics_server;
  if (const std::string& listen = metrics_listen; !listen.empty()) {
    auto served = core::serve_metrics(listen, core::process_metrics());
    if (!served.ok()) {
      core::log::error("", "qmilter-web: web_metrics_listen: " + served.error().message);
      return 1;
    }
    metrics_server = std::move(served).value();
    core::log::info("", "qmilter-web: metrics served on http://" + listen + "/metrics");
  }
  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGHUP) {
      // A bad configuration is refused and the running one kept, as qmilter does.
      try {
        auto reloaded = load(files, sdk::Role::admin);
        for (const std::string& warning : reloaded->warnings) core::log::warning("", warning);
        service->replace_config(std::move(reloaded));
        core::count_config_reload(true);
        core::log::info("", "qmilter-web: configuration reloaded (web_listen and web_post_limit apply at restart)");
      } catch (const std::exception& e) {
        core::count_config_reload(false);
        core::log::error("", std::string("qmilter-web: reload refused, the running configuration is kept: ") + e.what());
      }
      continue;
    }
    break;
  }
  core::log::info("", "qmilter-web: stopping");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qmilter-web — recipients review and release their quarantined mail"};
  std::vector<std::string> files;
  bool debug = false, test = false;
  app.add_option("-c,--config", files, "Config file (repeatable; later files override earlier keys)")
      ->allow_extra_args(false)
      ->take_all();
  app.add_flag("-d,--debug", debug, "Log debug lines");
  app.add_flag("-t,--test", test, "Check the configuration and exit");
  app.set_version_flag("-V,--version", QMILTER_VERSION);
  CLI11_PARSE(app, argc, argv);

  core::log::configure({debug, !test, "qmilter-web"});
  std::shared_ptr<const core::Config> config;
  try {
    config = load(files, test ? sdk::Role::check : sdk::Role::admin);
  } catch (const std::exception& e) {
    std::cerr << "qmilter-web: configuration error: " << e.what() << "\n";
    return 1;
  }
  auto address = http::parse_listen_address(config->web.listen);
  if (!address.ok()) {
    std::cerr << "qmilter-web: configuration error: " << address.error().message << "\n";
    return 1;
  }
  for (const std::string& warning : config->warnings) core::log::warning("", warning);
  if (config->web.base_url.empty()) {
    core::log::warning("", "[global] web_base_url is not set: qmilter-web serves links, but notifications carry none");
  }
  if (test) {
    std::cout << "Configuration ok\n";
    return 0;
  }
  try {
    return serve(files, std::move(config), address.value());
  } catch (const std::exception& e) {
    core::log::error("", std::string("qmilter-web: ") + e.what());
    return 1;
  }
}
