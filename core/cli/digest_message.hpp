// One recipient's digest e-mail: the rows (built-in layout, below), the quarantine's
// digest_template, subject and From rendered with the DIGEST_* variables, written by
// core/compose as the notifications are. Pure (plus the clock); safe from any thread.
//
// A row is one <tr> of five cells: date (local time), sender (the From header, else the
// envelope sender), subject, quarantine, and a "Review" link to the message's page ("" when
// qmilter-web links are not configured). Every value is HTML-escaped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "qmilter/sdk/result.hpp"

namespace qmilter::cli {

struct DigestRow {
  std::string quarantine;
  std::string id;
  std::int64_t date = 0;  // Unix time the message was quarantined
  std::string from;       // decoded From header, or the envelope sender
  std::string subject;    // decoded Subject header
  std::string link;       // the message page's link, "" when none
};

// The rows in the built-in layout, in the order given.
std::string render_digest_rows(const std::vector<DigestRow>& rows);

// The whole message (CRLF line ends). {DIGEST_TO}, {DIGEST_COUNT}, {DIGEST_ROWS} (raw HTML,
// the rows) and {DIGEST_URL} (the recipient's page, "" when none) in the body, every value
// but the rows escaped; DIGEST_TO and DIGEST_COUNT in the subject and From, with line breaks
// removed. The From falls back to the envelope sender's address.
sdk::Result<std::string> build_digest(const core::DigestSettings& settings, const std::string& recipient,
                                      const std::vector<DigestRow>& rows, const std::string& digest_url);

}  // namespace qmilter::cli
