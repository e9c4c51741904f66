// sanitize(): repair the input's UTF-8, run one round of parse-and-write, and repeat on our
// own output until it is a fixed point, so sanitizing twice never changes anything (libxml2
// re-nests some element sequences that unwrapping can produce, e.g. <p><x><div>).
#include "core/html/sanitizer.hpp"

#include <cstddef>

#include "core/html/attribute_limit.hpp"
#include "core/html/fragment_writer.hpp"
#include "core/html/revealed_conditionals.hpp"
#include "core/html/utf8.hpp"

namespace qmilter::html {
namespace {

// libxml2 takes an int length and escaping can grow our output up to 6-fold (' → &#39;),
// which the next round parses: 256 MiB keeps every round below INT_MAX. Previews are
// capped far below this anyway.
constexpr std::size_t kMaxInput = std::size_t{256} << 20;
// Rounds of re-sanitizing before falling back to text; real input settles after one.
constexpr int kMaxRounds = 4;
// Opens the body before any input, so leading text is not wrapped in an implied <p>
// (which the second round would then see as real); the input's own <html>/<head>/<body>
// tags become misplaced ones that libxml2 ignores.
constexpr std::string_view kPrefix = "<body>";

std::string round_on_repaired(std::string_view html_utf8, const SanitizeOptions& options, FragmentMode mode) {
  std::string document(kPrefix);
  append_repaired_utf8(document, html_utf8.substr(0, kMaxInput), Utf8Repair::for_markup);
  bool changed = false;
  std::string revealed = remove_revealed_conditionals(document, changed);
  if (changed) document = std::move(revealed);
  std::string limited = limit_attributes(document, kMaxAttributesPerTag, changed);
  return write_fragment(changed ? limited : document, options, mode);
}

// Our own output is valid UTF-8 already: no repair needed.
std::string round_on_output(std::string_view fragment, const SanitizeOptions& options, FragmentMode mode) {
  std::string document;
  document.reserve(kPrefix.size() + fragment.size());
  document.append(kPrefix).append(fragment);
  return write_fragment(document, options, mode);
}

SanitizeResult make_result(std::string html) {
  SanitizeResult result;
  // Attribute values never hold a raw quote, so this only matches a real src attribute.
  result.image_replaced =
      html.find(std::string(" src=\"").append(kReplacementSrc).append("\"")) != std::string::npos;
  result.html = std::move(html);
  return result;
}

}  // namespace

SanitizeResult sanitize(std::string_view html_utf8, const SanitizeOptions& options) {
  std::string current = round_on_repaired(html_utf8, options, FragmentMode::markup);
  for (int round = 0; round < kMaxRounds; ++round) {
    std::string next = round_on_output(current, options, FragmentMode::markup);
    if (next == current) return make_result(std::move(current));
    current = std::move(next);
  }
  // Never seen outside crafted input: keep the text, and only if that is stable too.
  std::string text = round_on_output(current, options, FragmentMode::text_only);
  if (round_on_output(text, options, FragmentMode::markup) == text) return make_result(std::move(text));
  return make_result(std::string());
}

}  // namespace qmilter::html
