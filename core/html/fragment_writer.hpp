// One round of sanitizing: libxml2's HTML parser feeds SAX events straight into our own
// serializer (no tree is built, so memory stays near the input size), which writes the
// allowed subset with every text and attribute value escaped by us and never emits a
// raw-text element. Internal to qmilter::html; reentrant (one parser context per call).
#pragma once

#include <string>
#include <string_view>

#include "core/html/sanitizer.hpp"

namespace qmilter::html {

enum class FragmentMode {
  markup,     // allowed elements and attributes, escaped text
  text_only,  // escaped text of the allowed content, no tags at all
};

// The Content-ID that replaced images point at.
inline constexpr std::string_view kReplacementSrc = "cid:removed_for_security_reasons";

// document: valid UTF-8 without C0 controls other than TAB/LF (see repair_utf8), at most
// INT_MAX bytes (anything past that is cut), handed to libxml2 as it is.
std::string write_fragment(std::string_view document, const SanitizeOptions& options, FragmentMode mode);

}  // namespace qmilter::html
