// HTML sanitizer for the notification preview: turns untrusted mail HTML into a fragment
// that no script, tracking pixel or style trick survives (allow-list in element_policy.cpp).
// Stateless and reentrant: safe to call from any thread; libxml2 is initialised on first use.
#pragma once

#include <string>
#include <string_view>

namespace qmilter::html {

struct SanitizeOptions {
  // img src → cid:removed_for_security_reasons; false → the img is removed.
  bool replace_images = true;
  // Remove every img, whatever replace_images says.
  bool strip_images = false;
  // Keep every safe style declaration, the original's whole layout, instead of the subset
  // that changes how the text looks (style_subset.hpp): previews several times larger.
  bool keep_layout_styles = false;
};

struct SanitizeResult {
  std::string html;             // UTF-8 fragment, safe to embed in a notification body
  bool image_replaced = false;  // some img now points at cid:removed_for_security_reasons
};

// Parses html_utf8 with libxml2's HTML parser (recovering from any markup) and serialises
// the allowed subset with full escaping. sanitize(sanitize(x).html) == sanitize(x).
// Never throws except std::bad_alloc.
SanitizeResult sanitize(std::string_view html_utf8, const SanitizeOptions& options);

// HTML-escapes & < > " ' (safe in text and in quoted attribute values).
std::string escape(std::string_view text);

}  // namespace qmilter::html
