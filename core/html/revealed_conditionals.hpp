// Removes Outlook's downlevel-revealed conditionals (<![if !mso]>, <![endif]>) before the
// HTML parser sees them: browsers treat them as bogus comments, libxml2 keeps them as text,
// so newsletters showed them verbatim. Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::html {

// html without every "<![if ...]>" and "<![endif]>" (any case, up to the next "]>"); false
// in `changed` and an empty string when there was none. What they enclose stays: it is the
// part meant for every client but Outlook.
std::string remove_revealed_conditionals(std::string_view html, bool& changed);

}  // namespace qmilter::html
