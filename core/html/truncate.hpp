// Cuts a sanitized fragment to a byte budget without breaking its markup: never inside a
// tag, an entity or a UTF-8 character, and every element left open is closed again.
// Pure function, thread-safe. Only for fragments written by sanitize() or escape().
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace qmilter::html {

// The fragment itself when it fits in max_bytes, holds at most max_text bytes of text
// (outside tags; an entity counts as one) and input_was_cut is false; otherwise the longest
// well-formed prefix within both that, with its closing tags and the marker appended, fits
// in max_bytes (the marker is left out only when even it alone does not fit).
std::string truncate_fragment(std::string_view fragment, std::size_t max_bytes,
                              std::string_view marker, bool input_was_cut,
                              std::size_t max_text = std::numeric_limits<std::size_t>::max());

}  // namespace qmilter::html
