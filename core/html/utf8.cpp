// UTF-8 repair: a byte-wise decoder following the Unicode "maximal subpart" rule loosely
// (one U+FFFD per offending byte), with an ASCII fast path for the common case.
#include "core/html/utf8.hpp"

#include <cstdint>

#include "qmilter/sdk/text.hpp"

namespace qmilter::html {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// U+FFFE and U+FFFF are noncharacters: valid UTF-8, but libxml2 refuses them in markup.
bool is_noncharacter(std::string_view sequence) { return sequence == "\xEF\xBF\xBE" || sequence == "\xEF\xBF\xBF"; }

}  // namespace

std::string repair_utf8(std::string_view input, Utf8Repair mode) {
  std::string out;
  append_repaired_utf8(out, input, mode);
  return out;
}

void append_repaired_utf8(std::string& out, std::string_view input, Utf8Repair mode) {
  const bool markup = mode == Utf8Repair::for_markup;
  out.reserve(out.size() + input.size() + input.size() / 16);
  std::size_t i = 0;
  while (i < input.size()) {
    // ASCII fast path: copy the run of harmless bytes in one go.
    std::size_t run = i;
    while (run < input.size()) {
      const auto c = static_cast<std::uint8_t>(input[run]);
      if (c >= 0x80 || (markup && c < 0x20 && c != '\t' && c != '\n')) break;
      ++run;
    }
    out.append(input.substr(i, run - i));
    i = run;
    if (i >= input.size()) break;

    const auto c = static_cast<std::uint8_t>(input[i]);
    if (c < 0x80) {  // a control character in markup mode
      if (c == '\r') {
        out.push_back('\n');
        i += (i + 1 < input.size() && input[i + 1] == '\n') ? 2 : 1;
      } else {
        out.append(c == '\f' || c == '\v' ? std::string_view(" ") : kReplacement);
        ++i;
      }
      continue;
    }
    const std::size_t length = sdk::utf8_sequence_length(input, i);
    if (length == 0 || (markup && is_noncharacter(input.substr(i, length)))) {
      out.append(kReplacement);
      i += length == 0 ? 1 : length;
    } else {
      out.append(input.substr(i, length));
      i += length;
    }
  }
}

}  // namespace qmilter::html
