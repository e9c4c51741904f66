// qmilter-web: the recipients' HTTP service. Loads the same configuration and plugins as
// qmilterctl (admin role), serves <web_base_url>/m/<token> on web_listen until SIGTERM or
// SIGINT. -t checks the configuration, the secret and the listen address, and exits.
#include <signal.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "core/config/config.hpp"
#include "core/log/log_sink.hpp"
#include "core/web/http_server.hpp"
#include "core/web/listen_address.hpp"
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

int serve(std::shared_ptr<const core::Config> config, const web::ListenAddress& address) {
  // Blocked before any thread starts, so that every thread inherits the mask and sigwait
  // below is the only place these arrive.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  web::ServerLimits limits;
  limits.idle_timeout_seconds = static_cast<unsigned>(config->web.client_timeout);
  auto service = std::make_shared<web::WebService>(std::move(config));
  auto server =
      web::HttpServer::start(address, [service](const web::Request& r) { return service->handle(r); }, limits);
  if (!server.ok()) {
    core::log::error("", "qmilter-web: " + server.error().message);
    return 1;
  }
  core::log::info("", "qmilter-web: listening on " + address.text);
  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGHUP) {
      core::log::warning("", "qmilter-web: SIGHUP: the configuration is read at start only; restart qmilter-web to "
                             "apply changes");
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
  auto address = web::parse_listen_address(config->web.listen);
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
    return serve(std::move(config), address.value());
  } catch (const std::exception& e) {
    core::log::error("", std::string("qmilter-web: ") + e.what());
    return 1;
  }
}
