// mixed_script_words() and lookalike_note(): which words mix Latin letters with Cyrillic or
// Greek ones, and how the marker names them.
#include <gtest/gtest.h>

#include "core/html/mixed_script.hpp"

namespace qmilter::html {
namespace {

// U+0430 CYRILLIC SMALL LETTER A, U+043E CYRILLIC SMALL LETTER O, U+03BF GREEK SMALL LETTER OMICRON
constexpr std::string_view kCyrillicA = "\xD0\xB0";
constexpr std::string_view kCyrillicO = "\xD0\xBE";
constexpr std::string_view kGreekOmicron = "\xCE\xBF";

std::string s(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view part : parts) out.append(part);
  return out;
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  for (const MixedScriptWord& word : mixed_script_words(text)) words.push_back(word.word);
  return words;
}

TEST(MixedScript, PureLatinIsNotFlagged) {
  EXPECT_TRUE(words_of("Your Amazon account: café, naïve, Ærøskøbing, Łódź").empty());
  EXPECT_EQ(lookalike_note("Your Amazon account"), "");
}

TEST(MixedScript, PureCyrillicAndPureGreekAreNotFlagged) {
  EXPECT_TRUE(words_of("Ваш аккаунт заблокирован").empty());
  EXPECT_TRUE(words_of("Ο λογαριασμός σας").empty());
  // Scripts side by side in different words are ordinary bilingual text.
  EXPECT_TRUE(words_of("Amazon Амазон Αμαζόν").empty());
}

TEST(MixedScript, LatinWithCyrillicOrGreekLettersIsFlagged) {
  const std::string text = s({"Am", kCyrillicA, "zon acc", kCyrillicO, "unt for P", kGreekOmicron, "stbank"});
  const std::vector<MixedScriptWord> words = mixed_script_words(text);
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0].word, s({"Am", kCyrillicA, "zon"}));
  ASSERT_EQ(words[0].odd_letters.size(), 1u);
  EXPECT_EQ(words[0].odd_letters[0], (OddLetter{U'\u0430', Script::cyrillic}));
  EXPECT_EQ(words[0].letters_among, Script::latin);
  EXPECT_EQ(words[1].word, s({"acc", kCyrillicO, "unt"}));
  EXPECT_EQ(words[2].word, s({"P", kGreekOmicron, "stbank"}));
  EXPECT_EQ(words[2].odd_letters[0], (OddLetter{U'\u03BF', Script::greek}));
}

TEST(MixedScript, ALatinLetterInACyrillicWordIsTheOddOne) {
  const std::vector<MixedScriptWord> words = mixed_script_words("Сбербaнк");  // Latin a
  ASSERT_EQ(words.size(), 1u);
  EXPECT_EQ(words[0].odd_letters, (std::vector<OddLetter>{{U'a', Script::latin}}));
  EXPECT_EQ(words[0].letters_among, Script::cyrillic);
}

TEST(MixedScript, DigitsAndPunctuationSplitNothingAndMixNothing) {
  // Digits belong to any word; punctuation ends one.
  EXPECT_TRUE(words_of("B2B 2FA 1000руб 10€ Ω-3, x/Ψ, 3.14, ΑΒΓ/ABC").empty());
  EXPECT_TRUE(words_of("µg 5×Б (Latin-1 signs)").empty());
  EXPECT_EQ(words_of(s({"support@p", kCyrillicA, "ypal.com"})), (std::vector<std::string>{s({"p", kCyrillicA, "ypal"})}));
  EXPECT_EQ(words_of(s({"Am", kCyrillicA, "zon2024!"})), (std::vector<std::string>{s({"Am", kCyrillicA, "zon2024"})}));
}

TEST(MixedScript, CombiningMarksAndInvisibleJoinersStayInTheWord) {
  EXPECT_TRUE(words_of("cafe\xCC\x81 \xD0\xB8\xCC\x86").empty());  // e + U+0301, и + U+0306
  EXPECT_EQ(words_of(s({"Am\xE2\x80\x8B", kCyrillicA, "\xE2\x80\x8Bzon"})).size(), 1u);  // U+200B between
  EXPECT_EQ(words_of(s({"Am", kCyrillicA, "\xCC\x81zon"})).size(), 1u);
}

TEST(MixedScript, InvalidUtf8SplitsWordsWithoutError) {
  EXPECT_TRUE(words_of(s({"Am\xFF", kCyrillicA, "\xFFzon"})).empty());
  EXPECT_TRUE(words_of("\xC3").empty());
}

TEST(MixedScript, RepeatedWordsAreNamedOnceAndAtMostFive) {
  const std::string word = s({"Am", kCyrillicA, "zon"});
  EXPECT_EQ(mixed_script_words(word + " " + word).size(), 1u);
  std::string many;
  for (char c = 'a'; c <= 'h'; ++c) many += s({std::string_view(&c, 1), kCyrillicA, " "});
  EXPECT_EQ(mixed_script_words(many).size(), kMaxWords);
}

TEST(MixedScript, LongWordsAreCutOnACharacterBoundary) {
  std::string word(kMaxShownWord - 1, 'x');
  word += s({kCyrillicA, kCyrillicA});
  const std::vector<MixedScriptWord> words = mixed_script_words(word);
  ASSERT_EQ(words.size(), 1u);
  EXPECT_EQ(words[0].word, std::string(kMaxShownWord - 1, 'x') + "\xE2\x80\xA6");
}

TEST(LookalikeNote, NamesTheWordAndItsOddLetters) {
  EXPECT_EQ(lookalike_note(s({"Am", kCyrillicA, "zon"})),
            s({"\xE2\x9A\xA0 possible look-alike: \"Am", kCyrillicA, "zon\" has Cyrillic ", kCyrillicA,
               " (U+0430) among Latin letters"}));
  EXPECT_EQ(lookalike_note(s({"Am", kCyrillicA, "zon acc", kCyrillicO, "unt"})),
            s({"\xE2\x9A\xA0 possible look-alikes: \"Am", kCyrillicA, "zon\" has Cyrillic ", kCyrillicA,
               " (U+0430) among Latin letters; \"acc", kCyrillicO, "unt\" has Cyrillic ", kCyrillicO,
               " (U+043E) among Latin letters"}));
}

}  // namespace
}  // namespace qmilter::html
