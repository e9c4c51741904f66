// Benchmark of the notification preview: throughput of text-part extraction plus
// sanitizing on 100 KB and 5 MB HTML parts, and the peak-RSS increase of a preview of a
// 25 MB message with a 10 MB HTML part. Prints figures for BENCHMARKS.md; checks nothing.
// Usage: preview_bench [repetitions-scale]   (run by hand on an idle machine)
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/html/sanitizer.hpp"
#include "core/mime/preview.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Newsletter-like HTML: tables, inline styles, tracking links and pixels, entities, UTF-8.
std::string make_html(std::size_t bytes) {
  std::string html = "<html><head><style>p{color:red}</style></head><body>\n";
  for (std::size_t i = 0; html.size() < bytes; ++i) {
    const std::string n = std::to_string(i);
    html += "<table width=\"600\" cellpadding=\"0\" style=\"border:1px solid #ccc\"><tr><td class=\"c" + n +
            "\" style=\"font-family:Arial;font-size:14px\">Hello &amp; welcome, customer " + n +
            "! <a href=\"https://example.com/track?id=" + n +
            "\" onclick=\"t()\">Click here</a> <img src=\"https://tracker.example/p" + n +
            ".gif\" width=\"1\" height=\"1\"><br><span style=\"color:#333\">Lorem ipsum dolor sit amet, "
            "consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.</span></td></tr>"
            "</table>\n<p><font face=\"Verdana\">Paragraph " + n +
            " with <b>bold</b> and <i>italic</i> text &eacute;&nbsp;\xC3\xBCn\xC3\xAF"
            "c\xC3\xB6" "d\xC3\xA9.</font></p>\n";
  }
  return html + "</body></html>\n";
}

std::string base64_lines(const std::string& data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(data.size() * 4 / 3 + data.size() / 38 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    unsigned v = 0;
    for (std::size_t k = 0; k < 3; ++k)
      v = (v << 8) | (k < n ? static_cast<unsigned char>(data[i + k]) : 0u);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
    if (++line == 19) {
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

// multipart/mixed: multipart/alternative (plain + base64 html) and a binary attachment
// padding the message to total_bytes.
std::string make_message(const std::string& html, std::size_t total_bytes) {
  std::string message =
      "From: Sender <sender@example.org>\r\nTo: rcpt@example.net\r\nSubject: bench\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
      "--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
      "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n"
      "--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      base64_lines(html) + "--alt--\r\n";
  if (message.size() + 200 < total_bytes) {
    const std::string padding((total_bytes - message.size() - 200) * 3 / 4, '\x5A');
    message += "--outer\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
               "Content-Disposition: attachment; filename=\"pad.bin\"\r\n\r\n" + base64_lines(padding);
  }
  return message + "--outer--\r\n";
}

long rss_kib(const char* field) {  // VmRSS or VmHWM from /proc/self/status
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size() + 1));
  }
  return -1;
}

// Returns freed heap to the kernel first, so the baseline is what is really in use, then
// resets VmHWM (Linux >= 4.0).
void reset_peak_rss() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Best of n, in process CPU time: on a shared 2-core machine wall time mostly measures the
// neighbours (the wall figure is printed too, for an idle machine).
struct Timing {
  double cpu = 1e9;
  double wall = 1e9;
};

template <typename F>
Timing best_of(int repetitions, F&& work) {
  Timing best;
  for (int i = 0; i < repetitions; ++i) {
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    work();
    best.cpu = std::min(best.cpu, cpu_seconds() - cpu_start);
    best.wall = std::min(best.wall, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

void throughput(const char* label, std::size_t html_bytes, int repetitions) {
  const std::string html = make_html(html_bytes);
  const std::string message = make_message(html, 0);
  const qmilter::html::SanitizeOptions options;
  const double mb = static_cast<double>(html.size()) / 1e6;
  std::size_t sink = 0;
  const Timing sanitize_t = best_of(repetitions, [&] { sink += qmilter::html::sanitize(html, options).html.size(); });
  const Timing full_t = best_of(repetitions, [&] {
    const auto part = qmilter::mime::find_text_part(message);
    sink += qmilter::html::sanitize(part.utf8, options).html.size();
  });
  const Timing preview_t = best_of(repetitions, [&] {
    sink += qmilter::mime::make_preview(message, options, 256 * 1024).html.size();
  });
  std::printf("%-6s html part %.2f MB, MB/s cpu (wall): sanitize %.1f (%.1f) | find_text_part+sanitize"
              " whole part %.1f (%.1f) | make_preview, 256 KiB cap: %.1f ms cpu (%.1f)%s\n",
              label, mb, mb / sanitize_t.cpu, mb / sanitize_t.wall, mb / full_t.cpu, mb / full_t.wall,
              preview_t.cpu * 1e3, preview_t.wall * 1e3, sink == 0 ? " (no output!)" : "");
}

void peak_memory() {
  const std::string message = make_message(make_html(10 * 1000 * 1000), 25 * 1000 * 1000);
  const qmilter::html::SanitizeOptions options;
  std::printf("RSS    message %.1f MB with a 10 MB html part\n", static_cast<double>(message.size()) / 1e6);
  for (const bool capped : {true, false}) {
    reset_peak_rss();
    const long before = rss_kib("VmRSS:");
    std::size_t size = 0;
    if (capped) {
      size = qmilter::mime::make_preview(message, options, 256 * 1024).html.size();
    } else {
      const auto part = qmilter::mime::find_text_part(message);
      size = qmilter::html::sanitize(part.utf8, options).html.size();
    }
    const long peak = rss_kib("VmHWM:");
    std::printf("RSS    %s: peak RSS +%.1f MB (output %zu bytes)\n",
                capped ? "make_preview (256 KiB cap)      " : "find_text_part+sanitize (no cap)",
                static_cast<double>(peak - before) / 1024.0, size);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int scale = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
  throughput("100KB", 100 * 1000, 20 * scale);
  throughput("5MB", 5 * 1000 * 1000, 3 * scale);
  peak_memory();
  return 0;
}
