// Which inline style declarations a preview keeps: those that change what a reader sees
// of the text (colour, weight, size, alignment, hiding), not the layout that newsletters
// spend most of their bytes on (padding, widths, fonts, mso-*). Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::html {

// The kept declarations of a style attribute as "name:value;name:value" (names
// lower-cased, values trimmed), each one passing style_is_safe(); "" when none is left.
// A value with quotes, backslashes, comments or over 64 bytes is dropped rather than
// parsed. style_subset(style_subset(x)) == style_subset(x).
std::string style_subset(std::string_view style);

}  // namespace qmilter::html
