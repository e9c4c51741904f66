// An HTTP server on libmicrohttpd, for qmilter-web and /metrics: a thread per connection (a
// release waits for the SMTP relay and must not stall other visitors), bounded connections, per-connection
// memory (an oversize request line or header is refused by libmicrohttpd itself), a body limit
// and an idle timeout that cuts slow clients off. Every response carries the security
// headers: a Content-Security-Policy that allows no script and no load from anywhere,
// frame-ancestors 'none', no referrer, no caching, nosniff.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/http/http_exchange.hpp"
#include "core/http/listen_address.hpp"
#include "qmilter/sdk/result.hpp"

struct MHD_Daemon;

namespace qmilter::http {

struct ServerLimits {
  unsigned connections = 256;        // at once, all clients together
  unsigned idle_timeout_seconds = 15; // a connection that sends nothing this long is closed
  std::size_t memory_per_connection = 32 * 1024;  // request line and headers must fit
};

class HttpServer {
 public:
  using Handler = std::function<Response(const Request&)>;

  // Binds and starts serving; an Error names the address and the reason.
  static sdk::Result<std::unique_ptr<HttpServer>> start(const ListenAddress& address, Handler handler,
                                                        const ServerLimits& limits = {});
  ~HttpServer();  // stops: waits for the connections' threads
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;  // the bound port

  const Handler& handler() const noexcept { return handler_; }

 private:
  explicit HttpServer(Handler handler) : handler_(std::move(handler)) {}
  Handler handler_;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace qmilter::http
