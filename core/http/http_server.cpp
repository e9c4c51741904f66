#include "core/http/http_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "core/log/log_sink.hpp"

namespace qmilter::http {
namespace {

constexpr const char* content_security_policy =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// What one request has gathered between libmicrohttpd's calls.
struct Pending {
  Request request;
  bool too_large = false;
};

std::string numeric_address(const sockaddr* address) {
  if (!address) return "unknown";
  char text[NI_MAXHOST];
  const socklen_t size = address->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(address, size, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0) return "unknown";
  return text;
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

bool is_numeric_address(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// The client a request is for. Behind a reverse proxy on this host every connection comes
// from loopback: then the proxy's X-Forwarded-For names the client (its last entry, the one
// the proxy added). Only local processes can reach a loopback peer address, so it is trusted.
std::string client_of(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  std::string peer = numeric_address(info ? info->client_addr : nullptr);
  if (!is_loopback(peer)) return peer;
  const char* forwarded = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-Forwarded-For");
  if (!forwarded) return peer;
  std::string last = forwarded;
  if (auto comma = last.rfind(','); comma != std::string::npos) last = last.substr(comma + 1);
  last.erase(0, last.find_first_not_of(" \t"));
  last.erase(last.find_last_not_of(" \t") + 1);
  return is_numeric_address(last) ? last : peer;
}

MHD_Result send(MHD_Connection* connection, const Response& answer) {
  MHD_Response* response =
      MHD_create_response_from_buffer(answer.body.size(), const_cast<char*>(answer.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", answer.content_type.c_str());
  MHD_add_response_header(response, "Content-Security-Policy", content_security_policy);
  MHD_add_response_header(response, "X-Frame-Options", "DENY");
  MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(response, "Cache-Control", "no-store");
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : answer.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
  MHD_destroy_response(response);
  return queued;
}

Response too_large() {
  Response response;
  response.status = 413;
  response.content_type = "text/plain; charset=utf-8";
  response.body = "Request too large.\n";
  return response;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* /*version*/, const char* upload_data, size_t* upload_data_size, void** state) {
  auto* server = static_cast<HttpServer*>(cls);
  auto* pending = static_cast<Pending*>(*state);
  try {
    if (!pending) {
      // First call: only the headers are here. Refuse a declared oversize body before reading it.
      const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
      if (length && std::strtoull(length, nullptr, 10) > max_body_bytes) return send(connection, too_large());
      pending = new Pending;
      *state = pending;
      pending->request.method = method;
      pending->request.path = url;
      pending->request.client = client_of(connection);
      const char* type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Type");
      pending->request.content_type = type ? type : "";
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      if (pending->request.body.size() + *upload_data_size > max_body_bytes) {
        pending->too_large = true;  // keep reading and dropping, answer at the end
      } else {
        pending->request.body.append(upload_data, *upload_data_size);
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (pending->too_large) return send(connection, too_large());
    return send(connection, server->handler()(pending->request));
  } catch (const std::exception& e) {
    core::log::error("", std::string("HTTP request failed: ") + e.what());
    Response failed;
    failed.status = 500;
    failed.content_type = "text/plain; charset=utf-8";
    failed.body = "Internal error.\n";
    return send(connection, failed);
  }
}

void on_completed(void* /*cls*/, MHD_Connection* /*connection*/, void** state, MHD_RequestTerminationCode /*code*/) {
  delete static_cast<Pending*>(*state);
  *state = nullptr;
}

void on_error_log(void* /*cls*/, const char* format, va_list arguments) {
  char text[512];
  std::vsnprintf(text, sizeof text, format, arguments);
  std::string line = text;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  core::log::debug("", "libmicrohttpd: " + line);
}

}  // namespace

sdk::Result<std::unique_ptr<HttpServer>> HttpServer::start(const ListenAddress& address, Handler handler,
                                                           const ServerLimits& limits) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler)));
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (address.address.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  errno = 0;
  server->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &on_request, server.get(),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&address.address),
      MHD_OPTION_CONNECTION_LIMIT, limits.connections,
      MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_seconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits.memory_per_connection,
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr,
      MHD_OPTION_EXTERNAL_LOGGER, &on_error_log, nullptr,
      MHD_OPTION_END);
  if (!server->daemon_) {
    return sdk::Error{"cannot listen on " + address.text + ": " + (errno ? std::strerror(errno) : "libmicrohttpd refused")};
  }
  return server;
}

HttpServer::~HttpServer() {
  if (daemon_) MHD_stop_daemon(daemon_);
}

std::uint16_t HttpServer::port() const {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  return info ? info->port : 0;
}

}  // namespace qmilter::http
