// Classifies code points by block, not by the full Unicode script property: only Latin,
// Greek and Cyrillic matter here (the scripts whose letters look alike), and everything
// else is either a word character of no interest or a separator.
#include "core/html/mixed_script.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "qmilter/sdk/text.hpp"

namespace qmilter::html {
namespace {

enum class Kind { separator, neutral, latin, greek, cyrillic };

bool in(char32_t c, char32_t first, char32_t last) { return c >= first && c <= last; }

// Invisible characters are word characters: a zero-width space between "Am" and "аzon"
// must not hide the mix.
bool is_invisible(char32_t c) {
  return c == 0xAD || c == 0x34F || in(c, 0x200B, 0x200D) || in(c, 0x2060, 0x2064) || c == 0xFEFF ||
         in(c, 0xFE00, 0xFE0F) || in(c, 0xE0000, 0xE007F);
}

bool is_combining_mark(char32_t c) {
  return in(c, 0x300, 0x36F) || in(c, 0x483, 0x489) || in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF) ||
         in(c, 0x20D0, 0x20FF) || in(c, 0x2DE0, 0x2DFF) || in(c, 0xA66F, 0xA67F) || in(c, 0xFE20, 0xFE2F);
}

Kind kind_of(char32_t c) {
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return Kind::latin;
    return c >= '0' && c <= '9' ? Kind::neutral : Kind::separator;
  }
  if (is_invisible(c) || is_combining_mark(c)) return Kind::neutral;
  if (c < 0xC0) return c == 0xAA || c == 0xBA ? Kind::latin : c == 0xB5 ? Kind::neutral : Kind::separator;
  if (c == 0xD7 || c == 0xF7) return Kind::separator;
  if (in(c, 0xC0, 0x2AF) || in(c, 0x1E00, 0x1EFF) || in(c, 0x2C60, 0x2C7F) || in(c, 0xA720, 0xA7FF) ||
      in(c, 0xAB30, 0xAB6F) || in(c, 0xFF21, 0xFF3A) || in(c, 0xFF41, 0xFF5A) || c == 0x212A || c == 0x212B)
    return Kind::latin;  // with Kelvin K and Angstrom Å, which look like Latin letters
  if (in(c, 0x370, 0x3FF)) {
    const bool sign = c == 0x374 || c == 0x375 || c == 0x37E || c == 0x384 || c == 0x385 || c == 0x387;
    return sign ? Kind::separator : Kind::greek;
  }
  if (in(c, 0x1F00, 0x1FFF)) return Kind::greek;
  if (in(c, 0x400, 0x52F) || in(c, 0x1C80, 0x1C8F) || in(c, 0xA640, 0xA69F))
    return c == 0x482 ? Kind::separator : Kind::cyrillic;
  if (in(c, 0x2000, 0x2BFF) || in(c, 0x2E00, 0x2E7F) || in(c, 0x3000, 0x303F) || in(c, 0xFE10, 0xFE1F) ||
      in(c, 0xFE30, 0xFE6F) || in(c, 0xFF00, 0xFF0F) || in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) ||
      in(c, 0xFF5B, 0xFF65) || in(c, 0xFFF0, 0xFFFF) || in(c, 0x1F000, 0x1FFFF))
    return Kind::separator;
  return Kind::neutral;  // letters of other scripts, digits, modifier letters
}

char32_t decode(std::string_view sequence) {
  const auto byte = [&](std::size_t i) { return static_cast<char32_t>(static_cast<std::uint8_t>(sequence[i])); };
  switch (sequence.size()) {
    case 1: return byte(0);
    case 2: return (byte(0) & 0x1F) << 6 | (byte(1) & 0x3F);
    case 3: return (byte(0) & 0x0F) << 12 | (byte(1) & 0x3F) << 6 | (byte(2) & 0x3F);
    default: return (byte(0) & 0x07) << 18 | (byte(1) & 0x3F) << 12 | (byte(2) & 0x3F) << 6 | (byte(3) & 0x3F);
  }
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

Script script_of(Kind kind) {
  return kind == Kind::greek ? Script::greek : kind == Kind::cyrillic ? Script::cyrillic : Script::latin;
}

std::string_view name_of(Script script) {
  switch (script) {
    case Script::latin: return "Latin";
    case Script::greek: return "Greek";
    case Script::cyrillic: return "Cyrillic";
  }
  return {};
}

// One word being read: its bytes and the letters of each script in it.
struct WordScan {
  std::size_t begin = 0;
  std::vector<std::pair<char32_t, Kind>> letters;

  void clear(std::size_t next) {
    begin = next;
    letters.clear();
  }

  // The word if it mixes Latin with Greek or Cyrillic.
  bool mixed(std::string_view text, std::size_t end, MixedScriptWord& out) const {
    std::size_t latin = 0;
    std::size_t greek = 0;
    std::size_t cyrillic = 0;
    for (const auto& [letter, kind] : letters) {
      latin += kind == Kind::latin ? 1 : 0;
      greek += kind == Kind::greek ? 1 : 0;
      cyrillic += kind == Kind::cyrillic ? 1 : 0;
    }
    if (latin == 0 || greek + cyrillic == 0) return false;
    const bool latin_is_odd = latin < greek + cyrillic;
    out.letters_among = latin_is_odd ? (cyrillic >= greek ? Script::cyrillic : Script::greek) : Script::latin;
    out.odd_letters.clear();
    for (const auto& [letter, kind] : letters) {
      if ((kind == Kind::latin) != latin_is_odd) continue;
      const OddLetter odd{letter, script_of(kind)};
      if (std::find(out.odd_letters.begin(), out.odd_letters.end(), odd) == out.odd_letters.end())
        out.odd_letters.push_back(odd);
    }
    std::string_view word = text.substr(begin, end - begin);
    std::size_t length = std::min(word.size(), kMaxShownWord);
    while (length < word.size() && length > 0 && (static_cast<std::uint8_t>(word[length]) & 0xC0) == 0x80) --length;
    out.word = std::string(word.substr(0, length));
    if (length < word.size()) out.word += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
    return true;
  }
};

}  // namespace

std::vector<MixedScriptWord> mixed_script_words(std::string_view text) {
  std::vector<MixedScriptWord> words;
  WordScan scan;
  const auto end_word = [&](std::size_t end) {
    MixedScriptWord word;
    if (scan.mixed(text, end, word) &&
        std::none_of(words.begin(), words.end(), [&](const MixedScriptWord& seen) { return seen.word == word.word; }))
      words.push_back(std::move(word));
  };
  std::size_t i = 0;
  while (i < text.size() && words.size() < kMaxWords) {
    const std::size_t length = sdk::utf8_sequence_length(text, i);
    const Kind kind = length == 0 ? Kind::separator : kind_of(decode(text.substr(i, length)));
    const std::size_t next = i + (length == 0 ? 1 : length);
    if (kind == Kind::separator) {
      end_word(i);
      scan.clear(next);
    } else if (kind != Kind::neutral) {
      scan.letters.emplace_back(decode(text.substr(i, length)), kind);
    }
    i = next;
  }
  if (words.size() < kMaxWords) end_word(text.size());
  return words;
}

std::string lookalike_note(std::string_view text) {
  const std::vector<MixedScriptWord> words = mixed_script_words(text);
  if (words.empty()) return {};
  std::string note = words.size() == 1 ? "\xE2\x9A\xA0 possible look-alike: " : "\xE2\x9A\xA0 possible look-alikes: ";
  for (std::size_t w = 0; w < words.size(); ++w) {
    const MixedScriptWord& word = words[w];
    if (w > 0) note += "; ";
    note += "\"" + word.word + "\" has ";
    for (std::size_t l = 0; l < word.odd_letters.size() && l < kMaxOddLetters; ++l) {
      const OddLetter& odd = word.odd_letters[l];
      if (l > 0) note += ", ";
      note += name_of(odd.script);
      note.push_back(' ');
      append_utf8(note, odd.letter);
      char code[16];
      std::snprintf(code, sizeof code, " (U+%04X)", static_cast<unsigned>(odd.letter));
      note += code;
    }
    if (word.odd_letters.size() > kMaxOddLetters) note += ", \xE2\x80\xA6";
    note += " among ";
    note += name_of(word.letters_among);
    note += " letters";
  }
  return note;
}

}  // namespace qmilter::html
