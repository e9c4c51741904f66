// UTF-8 validation and repair for text that goes into the HTML parser or into a preview:
// invalid sequences become U+FFFD instead of derailing libxml2 (which would otherwise fall
// back to Latin-1 for the whole document). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qmilter::html {

enum class Utf8Repair {
  sequences_only,  // only invalid byte sequences become U+FFFD
  for_markup,      // also: CR LF / CR → LF, C0 controls and U+FFFE/U+FFFF → U+FFFD
                   // (form feed and vertical tab → space): what libxml2 accepts as-is
};

// The input with every invalid UTF-8 sequence (overlong, surrogate, > U+10FFFF,
// truncated) replaced by U+FFFD; returns a copy even when nothing changed.
std::string repair_utf8(std::string_view input, Utf8Repair mode);

// The same, appended to out (saves a copy when a prefix must go first).
void append_repaired_utf8(std::string& out, std::string_view input, Utf8Repair mode);

}  // namespace qmilter::html
