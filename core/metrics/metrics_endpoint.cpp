#include "core/metrics/metrics_endpoint.hpp"

#include "core/http/listen_address.hpp"

namespace qmilter::core {

http::Response metrics_response(const MetricRegistry& registry, const http::Request& request) {
  http::Response response;
  response.content_type = "text/plain; charset=utf-8";
  if (request.path != "/metrics") {
    response.status = 404;
    response.body = "Only /metrics is served here.\n";
  } else if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.headers.emplace_back("Allow", "GET, HEAD");
    response.body = "Only GET and HEAD are allowed.\n";
  } else {
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = registry.render();
  }
  return response;
}

sdk::Result<std::unique_ptr<http::HttpServer>> serve_metrics(const std::string& listen, const MetricRegistry& registry) {
  auto address = http::parse_listen_address(listen);
  if (!address.ok()) return address.error();
  http::ServerLimits limits;
  limits.connections = 16;  // scrapers, not visitors
  return http::HttpServer::start(
      address.value(), [&registry](const http::Request& request) { return metrics_response(registry, request); },
      limits);
}

}  // namespace qmilter::core
