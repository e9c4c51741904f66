// A text template (a notification's or a digest's body, subject or From) parsed once at
// load with Python's str.format_map semantics: {NAME} is replaced, unknown names render
// empty, {{ and }} are literal braces, {NAME!s} and {NAME:[[fill]align][0][width]
// [.precision][s]} work as in Python. Immutable after parse(): render() is safe from any
// number of threads.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "qmilter/sdk/result.hpp"

namespace qmilter::compose {

class TextTemplate {
 public:
  // Looks a variable up; returns the text to insert (already escaped for the context).
  using Lookup = std::function<std::string(std::string_view name)>;

  // Fails where Python's format_map would raise ValueError on this template (a single
  // '{' or '}', an unterminated field, a positional field, a bad format spec), and for the
  // Python features a text template cannot use (!r/!a, attribute or index access, nested
  // fields). The error says what and where: "line 3, column 7: Single '}' ...".
  static sdk::Result<TextTemplate> parse(std::string_view text);

  std::string render(const Lookup& lookup) const;

  // The same, cut at each plain {name} field (no format spec) instead of inserting it: one
  // more piece than there are such fields. For a large value that every rendering shares
  // (the preview), so the caller can store it once. A {name:...} field is rendered as usual.
  std::vector<std::string> render_around(const Lookup& lookup, std::string_view name) const;

  // Whether some field names this variable (lets the notifier skip the preview work).
  bool references(std::string_view name) const;

 private:
  struct Spec {
    char32_t fill = U' ';
    char align = '<';  // '<', '>' or '^'
    std::size_t width = 0;
    bool has_precision = false;
    std::size_t precision = 0;
  };
  struct Segment {
    std::string literal;  // when name is empty
    std::string name;
    Spec spec;
  };

  static std::string apply(const Spec& spec, std::string value);

  std::vector<Segment> segments_;
};

}  // namespace qmilter::compose
