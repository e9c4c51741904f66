// Element and attribute tables of the sanitizer. Kept elements are exactly those in kKept
// (an allow-list); everything that can run code, load something, submit something or switch the
// HTML tokenizer into a raw-text or foreign-content mode is dropped with its content.
#include "core/html/element_policy.hpp"

#include <algorithm>
#include <array>

namespace qmilter::html {
namespace {

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& sorted, std::string_view name) {
  return std::binary_search(sorted.begin(), sorted.end(), name);
}

// Sorted for binary_search.
constexpr std::array<std::string_view, 32> kKept = {
    "a",  "b",  "blockquote", "br", "center", "div",   "em",    "font",
    "h1", "h2", "h3",         "h4", "h5",     "h6",    "hr",    "i",
    "img", "li", "ol",        "p",  "pre",    "span",  "strong", "table",
    "tbody", "td", "th",      "thead", "tr",  "tt",    "u",     "ul"};

// Dropped with content: document-level elements (head, title, meta, link, base) and whatever
// holds script-like, raw-text, form-control, embedded or foreign (SVG/MathML/VML-ish) content.
constexpr std::array<std::string_view, 44> kDropped = {
    "applet",   "area",     "audio",    "base",     "basefont", "bgsound", "button",
    "canvas",   "datalist", "dialog",   "embed",    "fieldset", "form",    "frame",
    "frameset", "head",     "iframe",   "input",    "isindex",  "keygen",  "link",
    "map",      "math",     "menu",     "meta",     "noembed",  "noframes", "noscript",
    "object",   "optgroup", "option",   "output",   "param",    "plaintext", "portal",
    "script",   "select",   "source",   "style",    "svg",      "template", "textarea",
    "title",    "xmp"};

constexpr std::array<std::string_view, 3> kVoid = {"br", "hr", "img"};

constexpr std::array<std::string_view, 21> kPlainAttributes = {
    "align",   "alt",     "bgcolor", "border", "cellpadding", "cellspacing", "color", "colspan",
    "dir",     "face",    "headers", "height", "id",          "name",        "rowspan", "size",
    "title",   "type",    "valign",  "value",  "width"};

static_assert(std::is_sorted(kKept.begin(), kKept.end()));
static_assert(std::is_sorted(kDropped.begin(), kDropped.end()));
static_assert(std::is_sorted(kPlainAttributes.begin(), kPlainAttributes.end()));

}  // namespace

ElementAction element_action(std::string_view name) {
  if (contains(kKept, name)) return ElementAction::keep;
  if (contains(kDropped, name)) return ElementAction::drop;
  // Namespaced foreign content (svg:svg, m:math, v:shape with behaviours) goes entirely.
  if (name.starts_with("svg:") || name.starts_with("math:") || name.starts_with("m:") ||
      name.starts_with("v:") || name.starts_with("xml") || name.starts_with("?"))
    return ElementAction::drop;
  return ElementAction::unwrap;
}

bool is_void_element(std::string_view name) { return contains(kVoid, name); }

bool is_plain_attribute(std::string_view name) { return contains(kPlainAttributes, name); }

}  // namespace qmilter::html
