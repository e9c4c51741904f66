#include "core/compose/header_encoding.hpp"

#include <gtest/gtest.h>

namespace qmilter::compose {
namespace {

TEST(HeaderEncoding, PrintableAsciiStaysAsItIs) {
  EXPECT_EQ(encode_unstructured("Quarantine notice: spam (5.3 points)"), "Quarantine notice: spam (5.3 points)");
}

TEST(HeaderEncoding, NonAsciiBecomesUtf8EncodedWords) {
  EXPECT_EQ(encode_unstructured("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
}

TEST(HeaderEncoding, LongTextIsSplitIntoShortWordsOnCharacterBoundaries) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "äö";  // 160 bytes
  const std::string encoded = encode_unstructured(text);
  std::size_t words = 0;
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = encoded.find(' ', start);
    if (end == std::string::npos) end = encoded.size();
    const std::string word = encoded.substr(start, end - start);
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_EQ(word.substr(0, 10), "=?UTF-8?B?");
    ++words;
    start = end + 1;
  }
  EXPECT_EQ(words, 5u);  // 36 bytes per word at most, never half a character
}

TEST(HeaderEncoding, AsciiWithAWordTooLongForOneLineIsEncoded) {
  const std::string word(70, 'x');
  EXPECT_EQ(encode_unstructured(word).substr(0, 10), "=?UTF-8?B?");
}

TEST(HeaderEncoding, TextThatLooksEncodedOrHasControlsIsEncoded) {
  EXPECT_EQ(encode_unstructured("=?x?="), "=?UTF-8?B?PT94Pz0=?=");
  EXPECT_EQ(encode_unstructured("a\tb"), "=?UTF-8?B?YQli?=");
}

TEST(HeaderEncoding, DecodesOriginalHeaders) {
  EXPECT_EQ(decode_header_value("=?iso-8859-1?Q?Gr=FC=DFe?= aus =?UTF-8?B?w6TDtsO8?="), "Grüße aus äöü");
  EXPECT_EQ(decode_header_value("Hello\n\tworld"), "Hello\tworld");
  EXPECT_EQ(decode_header_value("raw \xFC latin"), "raw \xEF\xBF\xBD latin");
  EXPECT_EQ(decode_header_value("a\r\nBcc: evil@example.com"), "aBcc: evil@example.com");
}

TEST(HeaderEncoding, ControlCharactersAreReplacedNotCutAt) {
  // "a<NUL>b" and "<CR><LF>x<DEL>" encoded, then plain text that must survive.
  EXPECT_EQ(decode_header_value("=?UTF-8?B?YQBi?= rest"), "a\xEF\xBF\xBD" "b rest");
  EXPECT_EQ(decode_header_value("=?utf-8?q?=0D=0Ax=7F?= after"), "\xEF\xBF\xBD\xEF\xBF\xBDx\xEF\xBF\xBD after");
  EXPECT_EQ(decode_header_value("=?utf-8?q?=C2=85?=z"), "\xEF\xBF\xBDz");  // C1 NEL
}

TEST(HeaderEncoding, AdjacentWordsJoinBeforeCharsetConversion) {
  // "ä" split over two words, white space between encoded words dropped, kept elsewhere.
  EXPECT_EQ(decode_header_value("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A4?= x =?UTF-8?Q?y?="), "ä x y");
  EXPECT_EQ(decode_header_value("=?bogus?X?abc?= =?UTF-8?B?not base64!?="), "=?bogus?X?abc?= =?UTF-8?B?not base64!?=");
}

TEST(HeaderEncoding, RepairsInvalidUtf8) {
  EXPECT_EQ(repair_utf8("ok ä"), "ok ä");
  EXPECT_EQ(repair_utf8("\xC3"), "\xEF\xBF\xBD");
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(repair_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");              // overlong '/'
}

TEST(HeaderEncoding, UrlEncodesAllButUnreserved) {
  EXPECT_EQ(url_encode("a.b+c@example.org"), "a.b%2Bc%40example.org");
  EXPECT_EQ(url_encode("x y&z=ü"), "x%20y%26z%3D%C3%BC");
}

}  // namespace
}  // namespace qmilter::compose
