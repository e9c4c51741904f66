// Caps the number of attributes per start tag before libxml2 sees the markup: its HTML
// parser checks each new attribute against all earlier ones of the tag, so one tag with
// 100k attributes costs seconds. Pure function, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qmilter::html {

// Mail needs a few dozen; a tag with more keeps its first max_attributes.
inline constexpr std::size_t kMaxAttributesPerTag = 256;

// html with every attribute past the max_attributes-th of a start tag removed (up to the
// tag's '>'); false in `changed` and an empty string when nothing had to go.
std::string limit_attributes(std::string_view html, std::size_t max_attributes, bool& changed);

}  // namespace qmilter::html
