// The Prometheus endpoint of qmilter and qmilter-web: GET (or HEAD) /metrics answers the
// registry in the text format; any other path is 404 and any other method 405. Its own
// listener and threads, so a scrape never waits for mail or for a recipient's page.
#pragma once

#include <memory>
#include <string>

#include "core/http/http_server.hpp"
#include "core/metrics/metric_registry.hpp"

namespace qmilter::core {

http::Response metrics_response(const MetricRegistry& registry, const http::Request& request);

// Starts serving on `listen` ("host:port"); an Error names the address and the reason.
sdk::Result<std::unique_ptr<http::HttpServer>> serve_metrics(const std::string& listen, const MetricRegistry& registry);

}  // namespace qmilter::core
