// Base64 with the URL alphabet and no padding (RFC 4648, section 5): a token that sits in a
// URL path as it is, with nothing to percent-encode.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qmilter::links {

std::string base64url_encode(std::string_view bytes);

// nullopt for any character outside the alphabet, for '=' and for a length no encoding has.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace qmilter::links
