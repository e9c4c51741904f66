// Test doubles for plugin authors: a message held in memory and a logger that keeps its
// lines. Header-only, so a plugin's tests link nothing but the SDK.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "qmilter/sdk/logger.hpp"
#include "qmilter/sdk/message.hpp"

namespace qmilter::sdk::testing {

struct FakeMessage final : MessageView {
  std::string queue_id_value = "ABC123";
  std::string client_address_value = "192.0.2.1";
  std::string sender_value = "sender@example.org";
  std::vector<std::string> recipients_value{"rcpt@example.com"};
  std::vector<Header> headers_value{{"From", "sender@example.org"}, {"Subject", "test"}};
  std::string body_value = "Hello\r\n";
  std::int64_t received_at_value = 1700000000;

  std::string_view queue_id() const noexcept override { return queue_id_value; }
  std::string_view client_address() const noexcept override { return client_address_value; }
  std::string_view sender() const noexcept override { return sender_value; }
  const std::vector<std::string>& recipients() const noexcept override { return recipients_value; }
  const std::vector<Header>& headers() const noexcept override { return headers_value; }
  std::int64_t received_at() const noexcept override { return received_at_value; }
  std::uint64_t body_size() const noexcept override { return body_value.size(); }
  Status read_body(const ChunkVisitor& visit) const noexcept override {
    try {
      visit(body_value);
      return {};
    } catch (...) {
      return Error{"body visitor threw"};
    }
  }
};

class CaptureLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view queue_id, std::string_view text) noexcept override {
    try {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::string(queue_id) + ": " + std::string(text));
    } catch (...) {
    }
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace qmilter::sdk::testing
