// One HTTP request as qmilter-web's service sees it, and its answer: plain values, so the
// service is tested without a server and the server knows nothing of quarantines.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qmilter::http {

struct Request {
  std::string method;  // "GET", "HEAD", "POST", ...
  std::string path;    // without the query string
  std::string client;  // the client's numeric address
  std::string body;    // the POST body, at most max_body_bytes
  std::string content_type;
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the fixed security headers
};

// A form is a few short fields; anything larger is not one of ours.
inline constexpr std::size_t max_body_bytes = 8192;

// The fields of an application/x-www-form-urlencoded body ('+' is a space, %XX a byte);
// nullopt when it is not well-formed (a bad escape, a field without '=', a repeated field).
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body);

}  // namespace qmilter::http
