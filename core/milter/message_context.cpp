#include "core/milter/message_context.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "core/milter/envelope_address.hpp"

namespace qmilter::core {

MessageContext::MessageContext(std::string client_address, std::string raw_sender)
    : client_address_(std::move(client_address)),
      sender_(normalise_envelope_address(raw_sender)),
      received_at_(std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count()) {}

void MessageContext::add_recipient(std::string_view raw) {
  std::string address = normalise_envelope_address(raw);
  auto& raws = raw_recipients_[address];
  if (raws.empty()) recipients_.push_back(address);
  raws.emplace_back(raw);
}

void MessageContext::add_header(std::string_view name, std::string_view value) {
  headers_.push_back(sdk::Header{std::string(name), std::string(value)});
}

void MessageContext::keep_body(std::uint64_t memory_limit, const std::string& spool_dir) {
  if (!body_) body_ = std::make_unique<BodyBuffer>(memory_limit, spool_dir);
}

sdk::Status MessageContext::append_body(std::string_view chunk) {
  if (!body_) return {};
  return body_->append(chunk);
}

const std::vector<std::string>& MessageContext::raw_recipients(const std::string& normalised) const {
  static const std::vector<std::string> none;
  auto it = raw_recipients_.find(normalised);
  return it == raw_recipients_.end() ? none : it->second;
}

std::vector<std::string> MessageContext::header_subjects() const {
  std::vector<std::string> subjects;
  subjects.reserve(headers_.size());
  for (const sdk::Header& h : headers_) {
    std::string subject;
    subject.reserve(h.name.size() + 2 + h.value.size());
    subject.append(h.name).append(": ").append(h.value);
    subjects.push_back(std::move(subject));
  }
  return subjects;
}

sdk::Status MessageContext::read_body(const sdk::ChunkVisitor& visit) const noexcept {
  try {
    if (!body_) return {};
    return body_->read(visit);
  } catch (const std::exception& e) {
    return sdk::Error{std::string("reading the body failed: ") + e.what()};
  }
}

std::string generate_queue_id() {
  static std::atomic<unsigned> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  char id[64];
  std::snprintf(id, sizeof id, "Q%llx%x%04x",
                static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::microseconds>(now).count()),
                static_cast<unsigned>(getpid()), counter.fetch_add(1) & 0xffff);
  return id;
}

}  // namespace qmilter::core
