// The sanitizer's allow-list: what happens to each element and which attributes survive.
// Immutable tables; thread-safe. Names are lower-case, as libxml2's HTML parser gives them.
#pragma once

#include <string_view>

namespace qmilter::html {

enum class ElementAction {
  keep,    // emitted with its allowed attributes
  unwrap,  // tag dropped, children processed in its place
  drop,    // removed together with everything inside it
};

ElementAction element_action(std::string_view name);

// Elements with no content and no end tag (emitted as <name/>).
bool is_void_element(std::string_view name);

// Attributes kept as they are (after escaping) on any kept element; src, href and style
// have their own rules in the writer.
bool is_plain_attribute(std::string_view name);

}  // namespace qmilter::html
