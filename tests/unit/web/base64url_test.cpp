#include "core/links/base64url.hpp"

#include <gtest/gtest.h>

namespace qmilter::links {
namespace {

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    const std::string encoded = base64url_encode(bytes);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos) << encoded;
    auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(i * 37);
  }
}

TEST(Base64Url, KnownValues) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
}

TEST(Base64Url, RefusesWhatNoEncodingGives) {
  EXPECT_FALSE(base64url_decode("Zm9v+mFy"));  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm8="));      // padding
  EXPECT_FALSE(base64url_decode("Zm9vY"));     // a length no encoding has
  EXPECT_FALSE(base64url_decode("Zm9"));       // leftover bits not zero: "Zm8" is "fo"
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
}

}  // namespace
}  // namespace qmilter::links
