// Runs the milter until SIGTERM/SIGINT, reloading the configuration on SIGHUP.
#pragma once

#include <string>

#include "core/config/config.hpp"
#include "core/config/config_store.hpp"

namespace qmilter::core {

// Opens the socket, serves, and returns the process exit status.
int run_daemon(ConfigStore& configs, const LoadRequest& reload_request, const std::string& socket);

}  // namespace qmilter::core
