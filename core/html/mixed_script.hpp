// Look-alike words: a word that mixes Latin letters with Cyrillic or Greek ones ("Amаzon"
// with a Cyrillic а) reads like the real name but is not; the notification and qmilter-web
// name such words so a recipient can tell. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qmilter::html {

enum class Script { latin, greek, cyrillic };

inline constexpr std::size_t kMaxWords = 5;
inline constexpr std::size_t kMaxShownWord = 64;
inline constexpr std::size_t kMaxOddLetters = 6;  // listed per word in the note

struct OddLetter {
  char32_t letter;
  Script script;
  bool operator==(const OddLetter&) const = default;
};

struct MixedScriptWord {
  std::string word;  // as written (UTF-8), cut with "…" past kMaxShownWord bytes
  // The distinct letters of the scripts in the minority (the non-Latin ones on a tie), in
  // order of appearance, and the script of the majority.
  std::vector<OddLetter> odd_letters;
  Script letters_among = Script::latin;
};

// The words of utf8_text (runs of letters, digits and combining marks between spaces and
// punctuation; invisible joiners such as U+200B do not split a word) with Latin letters
// beside Cyrillic or Greek ones, first-come, at most kMaxWords. Invalid UTF-8 splits words.
std::vector<MixedScriptWord> mixed_script_words(std::string_view utf8_text);

// A plain-text marker naming those words and their odd letters, e.g.
// "⚠ possible look-alike: "Amаzon" has Cyrillic а (U+0430) among Latin letters";
// "" when the text has none. Not escaped: callers escape it for their context.
std::string lookalike_note(std::string_view utf8_text);

}  // namespace qmilter::html
