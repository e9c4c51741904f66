#include "core/metrics/metrics_endpoint.hpp"

#include <gtest/gtest.h>

namespace qmilter::core {
namespace {

http::Request request(std::string method, std::string path) {
  http::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(MetricsEndpoint, ServesTheRegistryAtMetricsOnly) {
  MetricRegistry registry;
  registry.counter("qmilter_seen_total", "Seen").add(4);
  http::Response got = metrics_response(registry, request("GET", "/metrics"));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(got.body.find("qmilter_seen_total 4\n"), std::string::npos);
  EXPECT_EQ(metrics_response(registry, request("HEAD", "/metrics")).status, 200);
  EXPECT_EQ(metrics_response(registry, request("GET", "/")).status, 404);
  EXPECT_EQ(metrics_response(registry, request("GET", "/metrics/x")).status, 404);
  http::Response posted = metrics_response(registry, request("POST", "/metrics"));
  EXPECT_EQ(posted.status, 405);
  EXPECT_EQ(posted.body.find("qmilter_seen_total"), std::string::npos);
}

TEST(MetricsEndpoint, ABadAddressIsAnErrorNamingIt) {
  MetricRegistry registry;
  auto served = serve_metrics("localhost:9722", registry);
  ASSERT_FALSE(served.ok());
  EXPECT_NE(served.error().message.find("localhost:9722"), std::string::npos) << served.error().message;
}

}  // namespace
}  // namespace qmilter::core
