// The read-only view of a message a plugin receives. The host owns the message; a view is
// valid only for the duration of the call it was passed to. Plugins never see libmilter.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qmilter/sdk/result.hpp"

namespace qmilter::sdk {

// One header as the MTA handed it over: the name as sent, the value with the single space
// after the colon removed, folded lines kept as "\n" plus their leading whitespace.
struct Header {
  std::string name;
  std::string value;
};

// The regex match that put a message into a quarantine (Python's match.groups() and
// match.groupdict()). A group that did not take part in the match is std::nullopt.
struct Match {
  std::string subject;                                                   // "Name: value" that matched
  std::vector<std::optional<std::string>> groups;                         // group 1..n, in order
  std::vector<std::pair<std::string, std::optional<std::string>>> named;  // in pattern order
};

// Receives the body in chunks; returns false to stop reading early.
using ChunkVisitor = std::function<bool(std::string_view chunk)>;

class MessageView {
 public:
  virtual ~MessageView() = default;

  // The MTA's queue id (macro `i`), or a unique one the host generated when the MTA sent none.
  virtual std::string_view queue_id() const noexcept = 0;
  // The SMTP client's IP address as text ("" when the MTA gave none, e.g. local submission).
  virtual std::string_view client_address() const noexcept = 0;
  // Envelope sender: lower-cased, angle brackets and ESMTP arguments stripped ("" for <>).
  virtual std::string_view sender() const noexcept = 0;
  // Every envelope recipient of the message, normalised like the sender, de-duplicated.
  virtual const std::vector<std::string>& recipients() const noexcept = 0;
  // The headers in the order received.
  virtual const std::vector<Header>& headers() const noexcept = 0;
  // Unix time (UTC) at which the host started processing the message.
  virtual std::int64_t received_at() const noexcept = 0;

  // The body as received from the MTA (CRLF line ends, dot-stuffing undone). Readable any
  // number of times; empty when no plugin of the matched quarantines asked for the body.
  virtual std::uint64_t body_size() const noexcept = 0;
  virtual Status read_body(const ChunkVisitor& visit) const noexcept = 0;

  // The value of the first header with this name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const {
    for (const Header& h : headers()) {
      if (h.name.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < name.size() && same; ++i) {
        same = ascii_lower(h.name[i]) == ascii_lower(name[i]);
      }
      if (same) return h.value;
    }
    return std::nullopt;
  }

 private:
  static char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
};

}  // namespace qmilter::sdk
