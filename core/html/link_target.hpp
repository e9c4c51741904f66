// What a link really points at, as the recipient should see it next to the link text: the
// host a browser would contact (userinfo, port, path dropped), "mailto:" plus the mail
// domain, or the bare scheme of anything else. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::html {

// The target to show for an href value; "" for same-document and relative links (#x,
// /path), which go nowhere new. Parsed as browsers do: surrounding spaces and controls
// ignored, tabs and newlines inside removed, "\" read as "/", "http:host" without slashes
// accepted, the last "@" of the authority ends the userinfo. ASCII is lower-cased.
std::string link_target(std::string_view href);

// The first host-like word ("name.tld", possibly after a scheme or "www.") in a link's
// visible text; "" when it names none.
std::string host_named_in(std::string_view link_text);

// True when the text names a host and the target is not that host or one of its
// subdomains (nor its parent, for "www.example.org" text and an "example.org" target).
bool names_other_host(std::string_view named_host, std::string_view target);

}  // namespace qmilter::html
