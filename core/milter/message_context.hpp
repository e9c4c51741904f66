// One message of a connection, from MAIL FROM to the verdict: envelope, headers, body and
// the evaluation. It is the sdk::MessageView plugins read. Owned by the connection
// context; touched by one libmilter thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/dispatch/outcome.hpp"
#include "core/rules/evaluation.hpp"
#include "core/spool/body_buffer.hpp"
#include "qmilter/sdk/message.hpp"

namespace qmilter::core {

class MessageContext final : public sdk::MessageView {
 public:
  MessageContext(std::string client_address, std::string raw_sender);

  void add_recipient(std::string_view raw);
  void add_header(std::string_view name, std::string_view value);
  void set_queue_id(std::string queue_id) { queue_id_ = std::move(queue_id); }
  // Starts keeping the body (only when a matched quarantine stores or notifies).
  void keep_body(std::uint64_t memory_limit, const std::string& spool_dir);
  bool keeps_body() const noexcept { return body_ != nullptr; }
  sdk::Status append_body(std::string_view chunk);
  // The recipients as the MTA wrote them, for smfi_delrcpt of a normalised address.
  const std::vector<std::string>& raw_recipients(const std::string& normalised) const;
  // Each header as "Name: value", the string the regexes are tested against.
  std::vector<std::string> header_subjects() const;

  std::optional<Evaluation> evaluation;  // set at end of headers when a quarantine matched
  std::optional<Outcome> outcome;        // set once stored, notified and decided
  std::optional<std::string> failure;    // an error in a step that could not answer

  std::string_view queue_id() const noexcept override { return queue_id_; }
  std::string_view client_address() const noexcept override { return client_address_; }
  std::string_view sender() const noexcept override { return sender_; }
  const std::vector<std::string>& recipients() const noexcept override { return recipients_; }
  const std::vector<sdk::Header>& headers() const noexcept override { return headers_; }
  std::int64_t received_at() const noexcept override { return received_at_; }
  std::uint64_t body_size() const noexcept override { return body_ ? body_->size() : 0; }
  sdk::Status read_body(const sdk::ChunkVisitor& visit) const noexcept override;

 private:
  std::string queue_id_;
  std::string client_address_;
  std::string sender_;
  std::vector<std::string> recipients_;
  std::map<std::string, std::vector<std::string>> raw_recipients_;
  std::vector<sdk::Header> headers_;
  std::int64_t received_at_;
  std::unique_ptr<BodyBuffer> body_;
};

// A queue id for MTAs that send none: unique within the host for its uptime.
std::string generate_queue_id();

}  // namespace qmilter::core
