// notification_type = logfile: an example third-party plugin. Instead of mailing the
// recipients it appends one line per quarantined recipient to the file named by
// notification_logfile_path, which an admin (or a test) can watch:
//   <unix time> TAB <queue id> TAB <quarantine> TAB <quarantine id> TAB <sender> TAB <recipient>
// The instance is shared by every connection: notify() may run on many threads at once, so
// each call writes its lines with a single append under a mutex and syncs before returning.
// It is durable when notify() returns, which is what the host relies on before it answers.
// It counts the lines it wrote in qmilter_logfile_lines_total, shown on the host's /metrics.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter::sdk;

std::string errno_text(const std::string& what, const std::string& path, int error) {
  return what + " " + path + ": " + std::strerror(error);
}

// Tabs and line breaks in a field would break the one-line-per-recipient format.
void append_field(std::string& line, std::string_view field) {
  for (char c : field) line.push_back(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
}

class LogfileNotifier final : public Notifier {
 public:
  static std::vector<OptionSpec> option_schema() {
    return {{"notification_logfile_path", OptionType::path, true, "",
             "File that gets one line per quarantined recipient (created if missing)"}};
  }

  static Result<std::unique_ptr<LogfileNotifier>> create(const Options& options, const PluginContext& context) {
    const std::string path = options.string("notification_logfile_path");
    if (path.empty()) return Error{"notification_logfile_path: must name a file"};
    if (context.role == Role::check) {
      // `qmilter -t` creates nothing: it only checks that the file could be written.
      const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
      if (::access(path.c_str(), F_OK) == 0 ? ::access(path.c_str(), W_OK) != 0 : ::access(dir.c_str(), W_OK) != 0) {
        return Error{errno_text("notification_logfile_path: cannot write", path, errno)};
      }
      return std::make_unique<LogfileNotifier>(-1, path, context.quarantine, context.logger);
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return Error{errno_text("notification_logfile_path: cannot open", path, errno)};
    // Registered once here; the host adds the label quarantine="<section>".
    Counter& lines = context.metrics->counter("qmilter_logfile_lines_total", "Lines the logfile notifier appended");
    return std::make_unique<LogfileNotifier>(fd, path, context.quarantine, context.logger, &lines);
  }

  LogfileNotifier(int fd, std::string path, std::string quarantine, Logger* logger, Counter* lines = nullptr)
      : fd_(fd), path_(std::move(path)), quarantine_(std::move(quarantine)), logger_(logger), lines_(lines) {}
  ~LogfileNotifier() override {
    if (fd_ >= 0) ::close(fd_);
  }
  LogfileNotifier(const LogfileNotifier&) = delete;
  LogfileNotifier& operator=(const LogfileNotifier&) = delete;

  bool sends_notifications() const override { return true; }

  Status notify(const MessageView& message, const std::vector<std::string>& recipients,
                std::string_view quarantine_id, const Match&) override {
    if (fd_ < 0) return Error{"logfile notifier opened for checking only"};
    std::string lines;
    for (const std::string& recipient : recipients) {
      lines += std::to_string(message.received_at());
      for (std::string_view field : {message.queue_id(), std::string_view(quarantine_), quarantine_id,
                                     message.sender(), std::string_view(recipient)}) {
        lines.push_back('\t');
        append_field(lines, field);
      }
      lines.push_back('\n');
    }
    std::lock_guard lock(mutex_);
    std::string_view rest(lines);
    while (!rest.empty()) {
      const ssize_t written = ::write(fd_, rest.data(), rest.size());
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) return Error{errno_text("cannot append to", path_, errno)};
      rest.remove_prefix(static_cast<std::size_t>(written));
    }
    if (::fdatasync(fd_) != 0) return Error{errno_text("cannot sync", path_, errno)};
    if (lines_) lines_->add(recipients.size());
    logger_->info(message.queue_id(), "logged " + std::to_string(recipients.size()) + " recipient(s) to " + path_);
    return {};
  }

 private:
  const int fd_;  // O_APPEND; -1 when built for `qmilter -t`
  const std::string path_;
  const std::string quarantine_;
  Logger* const logger_;  // owned by the host, outlives this instance
  Counter* const lines_;  // the host's; null when built for `qmilter -t`
  std::mutex mutex_;      // keeps one call's lines together and ordered with its sync
};

}  // namespace

QMILTER_PLUGIN(LogfileNotifier, "logfile", "1.0.0", "Appends one line per quarantined recipient to a file")
