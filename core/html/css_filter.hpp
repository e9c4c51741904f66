// Decides whether an inline `style` value may stay: anything that can load a
// resource, run script or overlay the client's UI drops the whole attribute.
// Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::html {

// The value with CSS escapes decoded, comments and whitespace removed, ASCII lower-cased
// and full-width forms folded to ASCII: the form the dangerous-token check looks at.
std::string normalize_css(std::string_view style);

// False when the normalized value contains url(, expression, @import, behavior,
// javascript:, vbscript:, -moz-binding, image-set(, or fixed/absolute positioning.
bool style_is_safe(std::string_view style);

}  // namespace qmilter::html
