// The libmilter side of qmilter: registers the callbacks, opens the socket, runs the
// listener. Callbacks never let an exception out and answer TEMPFAIL on any failure.
#pragma once

#include <chrono>
#include <string>

#include "core/config/config_store.hpp"

namespace qmilter::core {

// Registers the filter with libmilter and opens the socket (removing a stale unix socket
// and applying `socket_mode`). Throws std::runtime_error naming the socket on failure.
void milter_open(ConfigStore& configs, const std::string& socket, unsigned socket_mode);

// Runs libmilter's listener until milter_stop(); returns libmilter's status.
int milter_serve();

// Makes milter_serve() return (from any thread). libmilter's listener looks at its stop
// flag only between connections or every 5 s; a connection to our own socket wakes it.
void milter_stop(const std::string& socket);

// Removes a unix socket's file after the listener stopped (libmilter leaves it).
void milter_remove_socket(const std::string& socket);

// Waits until no thread is inside a callback, or the timeout passes; returns whether quiet.
bool milter_wait_quiet(std::chrono::seconds timeout);

}  // namespace qmilter::core
