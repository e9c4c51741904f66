// The one escaping routine for text and attribute values in HTML output, appending form
// (the sanitizer's serializer calls it for every text run). escape() in sanitizer.hpp wraps it.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::html {

// Escapes & < > " ' and CR (as &#13;: a raw CR would be read back as LF).
void append_escaped(std::string& out, std::string_view text);

}  // namespace qmilter::html
