// Signals. libmilter's own signal thread would treat SIGHUP as "stop"; qmilter's sigwait
// (libmilter_sigwait.cpp) keeps it from taking any signal. libmilter runs in a second
// thread, whose mask libmilter blocks, so the main thread is the only one with SIGHUP,
// SIGTERM and SIGINT unblocked: its handlers write a byte to a pipe and the main loop
// reloads or stops.
#include "core/app/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "core/config/config_error.hpp"
#include "core/log/log_sink.hpp"
#include "core/metrics/host_metrics.hpp"
#include "core/metrics/metrics_endpoint.hpp"
#include "core/milter/milter_filter.hpp"

namespace qmilter::core {
namespace {

int signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int number) {
  int saved = errno;
  char byte = number == SIGHUP ? 'H' : 'T';
  ssize_t ignored = ::write(signal_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

void install_handlers() {
  if (::pipe2(signal_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  struct sigaction action {};
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int number : {SIGHUP, SIGTERM, SIGINT}) sigaction(number, &action, nullptr);
  sigset_t set;
  sigemptyset(&set);
  for (int number : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&set, number);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

void reload(ConfigStore& configs, const LoadRequest& request) {
  try {
    auto next = load_config(request);
    for (const std::string& warning : next->warnings) log::warning("", warning);
    if (next->metrics_listen != configs.current()->metrics_listen) {
      log::warning("", "[global] metrics_listen changes take effect at the next start");
    }
    configs.replace(std::move(next));
    count_config_reload(true);
    log::info("", "configuration reloaded");
  } catch (const std::exception& e) {
    count_config_reload(false);
    log::error("", std::string("configuration reload refused, keeping the running configuration: ") + e.what());
  }
}

}  // namespace

int run_daemon(ConfigStore& configs, const LoadRequest& reload_request, const std::string& socket) {
  install_handlers();
  register_process_metrics(QMILTER_VERSION);
  daemon_metrics::register_series();
  std::unique_ptr<http::HttpServer> metrics_server;
  if (const std::string& listen = configs.current()->metrics_listen; !listen.empty()) {
    auto served = serve_metrics(listen, process_metrics());
    if (!served.ok()) throw std::runtime_error("metrics_listen: " + served.error().message);
    metrics_server = std::move(served).value();
    log::info("", "metrics served on http://" + listen + "/metrics");
  }
  milter_open(configs, socket, configs.current()->socket_mode);
  log::info("", std::string("qmilter ") + QMILTER_VERSION + " listening on " + socket);

  int status = 0;
  std::thread milter([&status] {
    status = milter_serve();
    char byte = 'X';
    ssize_t ignored = ::write(signal_pipe[1], &byte, 1);
    (void)ignored;
  });

  bool stop_requested = false;
  for (bool running = true; running;) {
    char byte = 0;
    ssize_t n = ::read(signal_pipe[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    switch (byte) {
      case 'H':
        reload(configs, reload_request);
        break;
      case 'T':
        if (stop_requested) break;
        stop_requested = true;
        log::info("", "stopping");
        milter_stop(socket);
        break;
      default:
        running = false;
    }
  }
  milter.join();
  milter_remove_socket(socket);
  // Connections libmilter still runs hold their own configuration; wait only until no
  // callback is inside a plugin, so none is cut off mid-store.
  if (!milter_wait_quiet(std::chrono::seconds(30))) log::warning("", "a message was still in progress at exit");
  log::info("", "stopped");
  return stop_requested || status == 0 ? 0 : 1;  // libmilter: MI_SUCCESS is 0
}

}  // namespace qmilter::core
