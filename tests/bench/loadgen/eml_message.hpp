// A message to replay, split the way Postfix hands it to a milter: headers in order with
// the value as it follows the colon (folded lines joined by "\n", continuation whitespace
// kept), and the body with CRLF line ends. Built once at start, then read-only and shared.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qmilter::bench {

struct EmlHeader {
  std::string name;
  std::string raw_value;  // everything after the colon, leading space included
};

class EmlMessage {
 public:
  // Reads an RFC 5322 file (LF or CRLF line ends; an mbox "From " first line is skipped).
  // Throws std::runtime_error naming the file when it cannot be read or has no header.
  static EmlMessage load(const std::string& path);
  // Parses message text; origin names it in errors.
  static EmlMessage parse(std::string_view text, const std::string& origin);
  // A small, ordinary message: 12 headers (folded Received and DKIM lines), 1.5 KB in all.
  static EmlMessage builtin();

  // Appends a header given as "Name: value"; throws when there is no colon.
  void add_header(std::string_view line);
  // Replaces the body with `bytes` bytes of 78-byte text lines (each ending CRLF).
  void set_body_size(std::size_t bytes);
  // Sizes the body so that headers + body come to `bytes` (as size() counts them); throws
  // when the headers alone are larger.
  void set_total_size(std::size_t bytes);

  const std::vector<EmlHeader>& headers() const { return headers_; }
  const std::string& body() const { return body_; }
  // Header and body bytes as an MTA would count them (for reports).
  std::size_t size() const;

 private:
  std::vector<EmlHeader> headers_;
  std::string body_;
};

}  // namespace qmilter::bench
