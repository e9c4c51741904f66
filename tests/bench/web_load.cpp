// qmilter_web_load: HTTP/1.1 load for qmilter-web's benchmark. N client threads, each on one
// keep-alive connection to HOST:PORT, send GET PATH (or POST with a body) until R requests in
// all are done or D seconds have passed, and report requests/s, latency p50/p99/max and the
// errors: an I/O failure, or a status other than the expected one (any 2xx unless told).
// Blocking POSIX sockets, one request in flight per connection: a latency is the server's
// answer time plus whatever the client waited for a CPU. Responses must carry Content-Length
// (qmilter-web's do); a connection the server closes is reopened for the next request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::vector<std::string> paths{"/healthz"};
  std::string paths_file;
  std::size_t concurrency = 1;
  std::uint64_t requests = 0;
  double duration_s = 0;
  std::uint64_t warmup = 0;
  std::optional<std::string> post_body;
  std::optional<std::string> form_fields;
  int expect_status = 0;  // 0: any 2xx
  double timeout_s = 30;
  bool json = false;
};

struct Answer {
  int status = 0;
  std::string body;
};

// One keep-alive connection. Throws std::runtime_error on any I/O or framing failure; the
// caller counts it and the next request opens a fresh connection.
class Connection {
 public:
  explicit Connection(const Options& options) : options_(options) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Answer exchange(std::string_view method, std::string_view path, std::string_view body) {
    const bool reused = fd_ >= 0;
    if (!reused) open();
    std::string request;
    request.reserve(256 + body.size());
    request.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
    request.append(options_.host).append("\r\nUser-Agent: qmilter_web_load\r\n");
    if (method == "POST") {
      request.append("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ");
      request.append(std::to_string(body.size())).append("\r\n");
    }
    request.append("\r\n").append(body);
    send_all(request);
    if (reused && !await_first_byte()) {
      // The server closed the idle connection before it saw this request: send it again on a
      // fresh one, as browsers do.
      close();
      open();
      send_all(request);
    }
    return read_answer();
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

 private:
  void open() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(options_.port);
    if (inet_pton(AF_INET, options_.host.c_str(), &address.sin_addr) != 1) {
      throw std::runtime_error("not a numeric IPv4 address: " + options_.host);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket");
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(options_.timeout_s);
    timeout.tv_usec = static_cast<suseconds_t>((options_.timeout_s - std::floor(options_.timeout_s)) * 1e6);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) fail("connect");
  }

  [[noreturn]] void fail(const char* what) {
    const std::string reason = std::string(what) + ": " + std::strerror(errno);
    close();
    throw std::runtime_error(reason);
  }
  [[noreturn]] void fail_framing(const std::string& what) {
    close();
    throw std::runtime_error(what);
  }

  void send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) fail("send");
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // Reads more bytes into buffer_; false at the server's end of stream.
  bool fill() {
    char chunk[65536];
    for (;;) {
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail("recv");
      buffer_.append(chunk, static_cast<std::size_t>(got));
      return got > 0;
    }
  }

  // False when the server ends the stream before sending anything.
  bool await_first_byte() {
    while (buffer_.empty()) {
      if (!fill()) return false;
    }
    return true;
  }

  Answer read_answer() {
    std::size_t end_of_head;
    while ((end_of_head = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) fail_framing("connection closed before the response headers");
    }
    const std::string head = buffer_.substr(0, end_of_head + 2);  // each line ends with CRLF
    Answer answer;
    if (head.compare(0, 5, "HTTP/") != 0 || head.size() < 12) fail_framing("not an HTTP response: " + head.substr(0, 40));
    answer.status = std::atoi(head.c_str() + head.find(' ') + 1);
    std::optional<std::size_t> length;
    bool server_closes = head.compare(0, 8, "HTTP/1.0") == 0;  // unless it says keep-alive
    for (std::size_t at = head.find("\r\n") + 2; at < head.size();) {
      const std::size_t eol = head.find("\r\n", at);
      std::string line = head.substr(at, eol - at);
      at = eol + 2;
      std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return std::tolower(c); });
      if (line.rfind("content-length:", 0) == 0) length = std::strtoull(line.c_str() + 15, nullptr, 10);
      if (line.rfind("connection:", 0) == 0) {
        if (line.find("close") != std::string::npos) server_closes = true;
        if (line.find("keep-alive") != std::string::npos) server_closes = false;
      }
      if (line.rfind("transfer-encoding:", 0) == 0) fail_framing("chunked responses are not supported");
    }
    if (!length) fail_framing("a response without Content-Length");
    const std::size_t body_start = end_of_head + 4;
    while (buffer_.size() < body_start + *length) {
      if (!fill()) fail_framing("connection closed inside a response body");
    }
    answer.body = buffer_.substr(body_start, *length);
    buffer_.erase(0, body_start + *length);
    if (server_closes) close();
    return answer;
  }

  const Options& options_;
  int fd_ = -1;
  std::string buffer_;
};

std::string form_escape(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The value of the page's hidden input name="csrf", as qmilter-web renders it.
std::optional<std::string> csrf_of(const std::string& page) {
  constexpr std::string_view marker = "name=\"csrf\" value=\"";
  const std::size_t start = page.find(marker);
  if (start == std::string::npos) return std::nullopt;
  const std::size_t end = page.find('"', start + marker.size());
  if (end == std::string::npos) return std::nullopt;
  return page.substr(start + marker.size(), end - start - marker.size());
}

// What one client thread saw; merged after the join.
struct Tally {
  std::vector<std::int64_t> latencies_ns;  // answered with the expected status
  std::map<int, std::uint64_t> statuses;   // every answered request, by status
  std::uint64_t io_errors = 0;
  std::uint64_t bytes = 0;                 // response bodies of the timed requests
  std::vector<std::string> first_errors;

  void note_error(std::string what) {
    if (first_errors.size() < 5) first_errors.push_back(std::move(what));
  }
};

bool expected(const Options& options, int status) {
  return options.expect_status ? status == options.expect_status : status >= 200 && status < 300;
}

// One request of the run: the i-th path, GET or POST; with --form the page is fetched first
// (not timed) for its CSRF value, and only the POST of the form is timed.
void one_request(const Options& options, Connection& connection, std::uint64_t index, Tally& tally) {
  const std::string& path = options.paths[index % options.paths.size()];
  std::string_view method = "GET";
  std::string body;
  if (options.form_fields) {
    const Answer page = connection.exchange("GET", path, "");
    auto csrf = page.status == 200 ? csrf_of(page.body) : std::nullopt;
    if (!csrf) {
      ++tally.statuses[page.status];
      tally.note_error("GET " + path + " before the form: status " + std::to_string(page.status) +
                       (page.status == 200 ? ", no csrf field" : ""));
      return;
    }
    method = "POST";
    body = "csrf=" + form_escape(*csrf) + (options.form_fields->empty() ? "" : "&" + *options.form_fields);
  } else if (options.post_body) {
    method = "POST";
    body = *options.post_body;
  }
  const auto started = Clock::now();
  const Answer answer = connection.exchange(method, path, body);
  const auto took = Clock::now() - started;
  ++tally.statuses[answer.status];
  tally.bytes += answer.body.size();
  if (expected(options, answer.status)) {
    tally.latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
  } else {
    tally.note_error(std::string(method) + " " + path + ": status " + std::to_string(answer.status));
  }
}

// Runs until `count` requests are claimed (0: no limit) or the deadline passes, one thread per
// connection; returns the merged tally and the elapsed seconds.
std::pair<Tally, double> run_phase(const Options& options, std::vector<std::unique_ptr<Connection>>& connections,
                                   std::uint64_t first_index, std::uint64_t count,
                                   std::optional<Clock::time_point> deadline) {
  std::atomic<std::uint64_t> next{0};
  std::vector<Tally> tallies(connections.size());
  std::vector<std::thread> threads;
  const auto started = Clock::now();
  for (std::size_t i = 0; i < connections.size(); ++i) {
    threads.emplace_back([&, i] {
      for (;;) {
        if (deadline && Clock::now() >= *deadline) return;
        const std::uint64_t claimed = next.fetch_add(1);
        if (count && claimed >= count) return;
        try {
          one_request(options, *connections[i], first_index + claimed, tallies[i]);
        } catch (const std::exception& e) {
          ++tallies[i].io_errors;
          tallies[i].note_error(e.what());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  Tally all;
  for (auto& tally : tallies) {
    all.latencies_ns.insert(all.latencies_ns.end(), tally.latencies_ns.begin(), tally.latencies_ns.end());
    for (const auto& [status, n] : tally.statuses) all.statuses[status] += n;
    all.io_errors += tally.io_errors;
    all.bytes += tally.bytes;
    for (auto& e : tally.first_errors) all.note_error(std::move(e));
  }
  std::sort(all.latencies_ns.begin(), all.latencies_ns.end());
  return {std::move(all), elapsed};
}

// Latency at quantile q (nearest rank), in milliseconds.
double latency_ms(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)]) / 1e6;
}

void report(const Options& options, const Tally& tally, double elapsed_s) {
  std::uint64_t answered = 0;
  for (const auto& [status, n] : tally.statuses) answered += n;
  const std::uint64_t requests = answered + tally.io_errors;
  const std::uint64_t errors = requests - tally.latencies_ns.size();
  const double rate = elapsed_s > 0 ? static_cast<double>(tally.latencies_ns.size()) / elapsed_s : 0;
  double mean = 0;
  for (auto ns : tally.latencies_ns) mean += static_cast<double>(ns);
  mean = tally.latencies_ns.empty() ? 0 : mean / static_cast<double>(tally.latencies_ns.size()) / 1e6;
  const auto& l = tally.latencies_ns;
  if (options.json) {
    nlohmann::json statuses = nlohmann::json::object();
    for (const auto& [status, n] : tally.statuses) statuses[std::to_string(status)] = n;
    const nlohmann::json out = {
        {"concurrency", options.concurrency},
        {"requests", requests},
        {"warmup", options.warmup},
        {"elapsed_s", elapsed_s},
        {"requests_per_s", rate},
        {"latency_ms",
         {{"p50", latency_ms(l, 0.50)}, {"p90", latency_ms(l, 0.90)}, {"p99", latency_ms(l, 0.99)},
          {"max", latency_ms(l, 1.0)}, {"mean", mean}}},
        {"errors", errors},
        {"io_errors", tally.io_errors},
        {"statuses", statuses},
        {"response_bytes_mean", answered ? static_cast<double>(tally.bytes) / static_cast<double>(answered) : 0.0},
        {"first_errors", tally.first_errors},
    };
    std::cout << out.dump(2) << '\n';
    return;
  }
  std::printf("requests      %llu in %.3f s, %zu clients (warm-up %llu)\n", static_cast<unsigned long long>(requests),
              elapsed_s, options.concurrency, static_cast<unsigned long long>(options.warmup));
  std::printf("throughput    %.1f requests/s\n", rate);
  std::printf("latency_ms    p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f\n", latency_ms(l, 0.50),
              latency_ms(l, 0.90), latency_ms(l, 0.99), latency_ms(l, 1.0), mean);
  std::printf("errors        %llu (I/O %llu)\nstatuses     ", static_cast<unsigned long long>(errors),
              static_cast<unsigned long long>(tally.io_errors));
  for (const auto& [status, n] : tally.statuses) std::printf(" %d=%llu", status, static_cast<unsigned long long>(n));
  std::printf("\n");
  for (const auto& e : tally.first_errors) std::printf("error         %s\n", e.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"qmilter_web_load — keep-alive HTTP/1.1 load against qmilter-web"};
  app.add_option("-p,--port", options.port, "Server port")->required();
  app.add_option("--host", options.host, "Server address, numeric IPv4")->capture_default_str();
  app.add_option("--path", options.paths, "Request path (repeatable: requests take them in turn)")
      ->capture_default_str();
  app.add_option("--paths-file", options.paths_file, "File of paths, one a line; requests take them in turn");
  app.add_option("-c,--concurrency", options.concurrency, "Client threads, one connection each")
      ->check(CLI::Range(1, 4096));
  app.add_option("-n,--requests", options.requests, "Requests in all (default 1000, or unbounded with -d)");
  app.add_option("-d,--duration", options.duration_s, "Seconds to run")->check(CLI::PositiveNumber);
  app.add_option("-w,--warmup", options.warmup, "Requests before the measured ones, not counted");
  auto* post = app.add_option("--post", options.post_body, "POST this form-encoded body instead of GET");
  app.add_option("--form", options.form_fields,
                 "GET the page, then POST csrf=<its csrf value>&FIELDS; only the POST is timed")
      ->excludes(post);
  app.add_option("--expect", options.expect_status, "The status a request must get (default: any 2xx)");
  app.add_option("--timeout", options.timeout_s, "Seconds a send or receive may wait")->capture_default_str();
  app.add_flag("--json", options.json, "Print the report as JSON");
  CLI11_PARSE(app, argc, argv);

  if (!options.paths_file.empty()) {
    std::ifstream in(options.paths_file);
    if (!in) {
      std::cerr << "qmilter_web_load: cannot read " << options.paths_file << "\n";
      return 2;
    }
    options.paths.clear();
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) options.paths.push_back(line);
    }
    if (options.paths.empty()) {
      std::cerr << "qmilter_web_load: " << options.paths_file << " holds no path\n";
      return 2;
    }
  }
  if (options.requests == 0 && options.duration_s == 0) options.requests = 1000;

  std::vector<std::unique_ptr<Connection>> connections;
  for (std::size_t i = 0; i < options.concurrency; ++i) connections.push_back(std::make_unique<Connection>(options));
  if (options.warmup) run_phase(options, connections, 0, options.warmup, std::nullopt);
  std::optional<Clock::time_point> deadline;
  if (options.duration_s > 0) {
    deadline = Clock::now() + std::chrono::microseconds(static_cast<long long>(options.duration_s * 1e6));
  }
  auto [tally, elapsed] = run_phase(options, connections, options.warmup, options.requests, deadline);
  report(options, tally, elapsed);
  std::uint64_t answered = 0;
  for (const auto& [status, n] : tally.statuses) answered += n;
  return answered + tally.io_errors == tally.latencies_ns.size() ? 0 : 1;
}
