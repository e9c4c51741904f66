// CRLF normalisation and dot-stuffing across chunk boundaries.
#include "core/smtp/data_encoder.hpp"

namespace qmilter::smtp {

void DataEncoder::end_line(std::string& out) {
  if (held_line_end_) out += "\r\n";
  held_line_end_ = true;
  at_line_start_ = true;
}

void DataEncoder::feed(std::string_view chunk, std::string& out) {
  for (char c : chunk) {
    if (pending_cr_) {
      pending_cr_ = false;
      end_line(out);  // CRLF, or a bare CR which becomes CRLF as well
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr_ = true;
      continue;
    }
    if (c == '\n') {
      end_line(out);
      continue;
    }
    if (held_line_end_) {
      out += "\r\n";
      held_line_end_ = false;
    }
    if (at_line_start_ && c == '.') out += '.';
    at_line_start_ = false;
    out += c;
  }
}

void DataEncoder::finish(std::string& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    end_line(out);
  }
  held_line_end_ = false;  // the terminator's CRLF ends the last line
}

}  // namespace qmilter::smtp
