// Base64 (common/base64.hpp): RFC 4648's test vectors, strict decoding (no text decodes that another text
// also decodes to), and the appending forms the HTTP endpoint decodes into and encodes from.
#include <gtest/gtest.h>

#include <string>

#include "common/base64.hpp"

namespace {

using shmstream::detail::base64_decode;
using shmstream::detail::base64_decode_append;
using shmstream::detail::base64_encode;
using shmstream::detail::base64_encode_append;
using shmstream::detail::base64url_decode;
using shmstream::detail::base64url_encode;

TEST(Base64, Rfc4648TestVectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(base64_encode(bytes), text);
    EXPECT_EQ(base64_decode(text), bytes) << text;
  }
}

TEST(Base64, EveryByteValueAndLengthRoundTrips) {
  for (size_t length = 0; length < 70; ++length) {
    std::string bytes;
    for (size_t i = 0; i < length; ++i) bytes += static_cast<char>((i * 37 + length) & 0xFF);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << length;
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << length;
  }
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, DecodingIsStrict) {
  EXPECT_EQ(base64_decode("Zg"), "f");  // padding is optional
  EXPECT_EQ(base64_decode("Zm8"), "fo");
  for (const char* text : {"Z", "Zg=", "Zh==", "Zm9=", "Z===", "Zg==Zg==", "Zm=v", "Zm9v\n", " Zm9v", "Zm9*",
                           "Zm9v-_", "Zg==="}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;  // leftover bits, misplaced '=', foreign characters
  }
  EXPECT_FALSE(base64url_decode("Zg==").has_value());  // no padding in the URL-safe form
  EXPECT_FALSE(base64url_decode("+/").has_value());
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
}

TEST(Base64, AppendingFormsAddToTheBuffer) {
  std::string out = "prefix:";
  base64_encode_append("foob", out);
  EXPECT_EQ(out, "prefix:Zm9vYg==");
  std::string bytes = "kept";
  ASSERT_TRUE(base64_decode_append("Zm9vYmFy", bytes));
  ASSERT_TRUE(base64_decode_append("Zg", bytes));
  EXPECT_EQ(bytes, "keptfoobarf");
  EXPECT_FALSE(base64_decode_append("Zm9*", bytes));
}

}  // namespace
