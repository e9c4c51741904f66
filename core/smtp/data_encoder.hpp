// Turns message bytes into the text of an SMTP DATA section, chunk by chunk: every line end
// (LF, CR or CRLF) becomes CRLF and a line starting with '.' gets a second '.'. The last
// line end is held back, because libetpan's terminator ("\r\n.\r\n") supplies it — so a
// message that ends with CRLF arrives exactly as it was. One encoder per message; not shared.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::smtp {

class DataEncoder {
 public:
  // Appends the encoded form of `chunk` to `out`.
  void feed(std::string_view chunk, std::string& out);
  // Appends what is still pending at the end of the message (never the final line end).
  void finish(std::string& out);

 private:
  void end_line(std::string& out);

  bool at_line_start_ = true;  // the next byte starts a line (dot-stuffing applies)
  bool pending_cr_ = false;    // a CR was seen; the next byte tells CRLF from a bare CR
  bool held_line_end_ = false; // a line end not yet written: dropped if it is the last one
};

}  // namespace qmilter::smtp
