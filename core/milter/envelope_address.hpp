// Envelope addresses as the rules and plugins see them: angle brackets
// and surrounding space stripped, lower-cased; `<>` becomes "".
#pragma once

#include <string>
#include <string_view>

namespace qmilter::core {

std::string normalise_envelope_address(std::string_view raw);

}  // namespace qmilter::core
