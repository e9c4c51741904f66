// The text/plain rendering of a notification or digest: HTML read by libxml2's parser and
// written as the text a reader would see, with line breaks where blocks end, list items
// bulleted and table cells side by side. Pure and reentrant: safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::html {

// The visible text of html (UTF-8; invalid sequences become U+FFFD): whitespace collapsed
// as a browser would (kept inside <pre>), at most one empty line in a row, no leading or
// trailing blank. What cannot be seen (head, title, script, style and everything else the
// sanitizer drops with its content) is left out. A link whose href leads somewhere (not
// "#...") is followed by " <href>": meant for our own templates, whose links are trusted;
// the sanitizer's output has only "#" links and shows their targets as text already.
std::string to_plain_text(std::string_view html);

}  // namespace qmilter::html
