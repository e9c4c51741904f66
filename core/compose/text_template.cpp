// The format_map subset a text template can use. Parsing happens once at load so that a
// bad template is a load error naming the file, never a failure on the mail path.
#include "core/compose/text_template.hpp"

#include <algorithm>

namespace qmilter::compose {
namespace {

std::string where(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

// Number of code points (Python pads and cuts strings by code point, not by byte).
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::size_t utf8_length_at(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t n = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return std::min(n, s.size() - i);
}

std::string encode_utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

char32_t decode_utf8(std::string_view s) {
  const auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[k])); };
  switch (s.size()) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

bool is_align(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

}  // namespace

sdk::Result<TextTemplate> TextTemplate::parse(std::string_view text) {
  TextTemplate parsed;
  std::string literal;
  const auto flush = [&] {
    if (!literal.empty()) parsed.segments_.push_back(Segment{std::move(literal), {}, {}});
    literal.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        i += 2;
        continue;
      }
      return sdk::Error{where(text, i) + "Single '}' encountered in format string (write }} for a literal brace)"};
    }
    if (c != '{') {
      literal += c;
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      i += 2;
      continue;
    }
    const std::size_t open = i;
    if (i + 1 >= text.size()) {
      return sdk::Error{where(text, open) + "Single '{' encountered in format string (write {{ for a literal brace)"};
    }
    // Python finds the end of a field by counting nested braces; a field without its '}'
    // is "expected '}' before end of string".
    std::size_t depth = 1;
    std::size_t close = i + 1;
    for (; close < text.size(); ++close) {
      if (text[close] == '{') ++depth;
      if (text[close] == '}' && --depth == 0) break;
    }
    if (close >= text.size()) return sdk::Error{where(text, open) + "expected '}' before end of string"};
    const std::string_view field = text.substr(open + 1, close - open - 1);
    if (field.find('{') != std::string_view::npos) {
      return sdk::Error{where(text, open) + "nested replacement fields are not supported"};
    }
    std::size_t name_end = field.find_first_of("!:");
    std::string_view name = field.substr(0, name_end);
    if (name.empty()) return sdk::Error{where(text, open) + "Format string contains positional fields"};
    if (name.find_first_of(".[") != std::string_view::npos) {
      return sdk::Error{where(text, open) + "attribute or index access in '{" + std::string(field) +
                        "}' is not supported"};
    }
    if (std::all_of(name.begin(), name.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      return sdk::Error{where(text, open) + "Format string contains positional fields"};
    }
    Spec spec;
    std::string_view rest = name_end == std::string_view::npos ? std::string_view{} : field.substr(name_end);
    if (!rest.empty() && rest.front() == '!') {
      if (rest.size() < 2 || rest[1] == ':') return sdk::Error{where(text, open) + "unmatched '{' in format spec"};
      if (rest[1] != 's') {
        if (rest[1] == 'r' || rest[1] == 'a') {
          return sdk::Error{where(text, open) + "conversion !" + std::string(1, rest[1]) + " is not supported"};
        }
        return sdk::Error{where(text, open) + "Unknown conversion specifier " + std::string(1, rest[1])};
      }
      if (rest.size() > 2 && rest[2] != ':') {
        return sdk::Error{where(text, open) + "expected ':' after conversion specifier"};
      }
      rest.remove_prefix(2);
    }
    if (!rest.empty()) {
      std::string_view s = rest.substr(1);  // after ':'
      // [[fill]align]
      std::size_t pos = 0;
      if (!s.empty()) {
        const std::size_t first = utf8_length_at(s, 0);
        if (s.size() > first && is_align(s[first])) {
          spec.fill = decode_utf8(s.substr(0, first));
          spec.align = s[first];
          pos = first + 1;
        } else if (is_align(s[0])) {
          spec.align = s[0];
          pos = 1;
        }
      }
      if (spec.align == '=') return sdk::Error{where(text, open) + "'=' alignment not allowed in string format specifier"};
      if (pos < s.size() && (s[pos] == '+' || s[pos] == '-' || s[pos] == ' ')) {
        return sdk::Error{where(text, open) + "Sign not allowed in string format specifier"};
      }
      if (pos < s.size() && s[pos] == '#') {
        return sdk::Error{where(text, open) + "Alternate form (#) not allowed in string format specifier"};
      }
      if (pos < s.size() && s[pos] == '0') {
        // Python's '0' flag pads with zeros unless a fill character was given.
        if (pos <= 1) spec.fill = U'0';
        ++pos;
      }
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        spec.width = spec.width * 10 + static_cast<std::size_t>(s[pos] - '0');
        if (spec.width > 100000) return sdk::Error{where(text, open) + "width too large"};
        ++pos;
      }
      if (pos < s.size() && (s[pos] == ',' || s[pos] == '_')) {
        return sdk::Error{where(text, open) + "Cannot specify '" + std::string(1, s[pos]) + "' with 's'."};
      }
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') {
          return sdk::Error{where(text, open) + "Format specifier missing precision"};
        }
        spec.has_precision = true;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          spec.precision = spec.precision * 10 + static_cast<std::size_t>(s[pos] - '0');
          if (spec.precision > 100000) return sdk::Error{where(text, open) + "precision too large"};
          ++pos;
        }
      }
      if (pos < s.size() && s[pos] == 's') ++pos;
      if (pos < s.size()) {
        return sdk::Error{where(text, open) + "Unknown format code '" + std::string(1, s[pos]) +
                          "' for object of type 'str'"};
      }
    }
    flush();
    parsed.segments_.push_back(Segment{{}, std::string(name), spec});
    i = close + 1;
  }
  flush();
  return parsed;
}

std::string TextTemplate::apply(const Spec& spec, std::string value) {
  if (spec.has_precision && code_points(value) > spec.precision) {
    std::size_t kept = 0;
    std::size_t i = 0;
    while (i < value.size() && kept < spec.precision) {
      i += utf8_length_at(value, i);
      ++kept;
    }
    value.resize(i);
  }
  const std::size_t length = code_points(value);
  if (spec.width <= length) return value;
  const std::size_t pad = spec.width - length;
  const std::string fill = encode_utf8(spec.fill);
  std::size_t left = 0;
  if (spec.align == '>') left = pad;
  if (spec.align == '^') left = pad / 2;
  std::string out;
  for (std::size_t k = 0; k < left; ++k) out += fill;
  out += value;
  for (std::size_t k = left; k < pad; ++k) out += fill;
  return out;
}

std::string TextTemplate::render(const Lookup& lookup) const {
  std::string out;
  for (const Segment& segment : segments_) {
    if (segment.name.empty()) {
      out += segment.literal;
    } else if (segment.spec.width == 0 && !segment.spec.has_precision) {
      out += lookup(segment.name);
    } else {
      out += apply(segment.spec, lookup(segment.name));
    }
  }
  return out;
}

std::vector<std::string> TextTemplate::render_around(const Lookup& lookup, std::string_view name) const {
  std::vector<std::string> pieces(1);
  for (const Segment& segment : segments_) {
    if (segment.name.empty()) {
      pieces.back() += segment.literal;
    } else if (segment.spec.width == 0 && !segment.spec.has_precision) {
      if (segment.name == name) {
        pieces.emplace_back();
      } else {
        pieces.back() += lookup(segment.name);
      }
    } else {
      pieces.back() += apply(segment.spec, lookup(segment.name));
    }
  }
  return pieces;
}

bool TextTemplate::references(std::string_view name) const {
  return std::any_of(segments_.begin(), segments_.end(), [&](const Segment& s) { return s.name == name; });
}

}  // namespace qmilter::compose
