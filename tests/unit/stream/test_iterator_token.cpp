// ShardIterator tokens: the codec round-trips, refuses every damaged or foreign text, ages out after the
// time to live (either way), and a token is accepted only by the stream incarnation that issued it.
#include <gtest/gtest.h>

#include "common/base64.hpp"
#include "shmstream/iterator_token.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

constexpr int64_t kNow = int64_t{1'764'000'000} * 1'000'000'000;

IteratorToken sample() {
  IteratorToken token;
  token.stream_name = "ticks.v2_A-z";
  for (size_t i = 0; i < token.stream_uuid.size(); ++i) token.stream_uuid[i] = static_cast<uint8_t>(i * 17 + 3);
  token.shard_index = 4095;
  token.position = (uint64_t{1} << 40) + 64;
  token.created_ns = kNow;
  return token;
}

template <typename Call>
StatusCode code_of(Call call) {
  try {
    call();
  } catch (const Error& error) {
    return error.code();
  }
  return StatusCode::kOk;
}

}  // namespace

TEST(IteratorToken, RoundTripsEveryField) {
  const IteratorToken token = sample();
  const std::string text = encode_iterator_token(token);
  EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  const auto parsed = parse_iterator_token(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->stream_name, token.stream_name);
  EXPECT_EQ(parsed->stream_uuid, token.stream_uuid);
  EXPECT_EQ(parsed->shard_index, token.shard_index);
  EXPECT_EQ(parsed->position, token.position);
  EXPECT_EQ(parsed->created_ns, token.created_ns);
}

TEST(IteratorToken, RefusesEveryDamagedText) {
  const std::string text = encode_iterator_token(sample());
  EXPECT_FALSE(parse_iterator_token(""));
  EXPECT_FALSE(parse_iterator_token(text.substr(0, text.size() - 1)));
  EXPECT_FALSE(parse_iterator_token(text + "A"));
  EXPECT_FALSE(parse_iterator_token(text + "="));
  EXPECT_FALSE(parse_iterator_token("not a token"));
  for (size_t i = 0; i < text.size(); ++i) {  // any one character changed: checksum or codec refuses it
    std::string changed = text;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(parse_iterator_token(changed)) << "position " << i;
  }
  // Well-formed and checksummed but naming no valid stream: refused too.
  IteratorToken bad = sample();
  bad.stream_name = "a/b";
  EXPECT_FALSE(parse_iterator_token(encode_iterator_token(bad)));
  // Another version byte with a matching checksum is not read as this one.
  std::string bytes = *detail::base64url_decode(text);
  bytes[0] = 2;
  EXPECT_FALSE(parse_iterator_token(detail::base64url_encode(bytes)));
}

TEST(IteratorToken, ExpiresAfterTheTimeToLive) {
  const std::string text = encode_iterator_token(sample());
  const auto ttl = std::chrono::nanoseconds(kIteratorTimeToLive);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(kIteratorTimeToLive).count(), 300);
  EXPECT_EQ(decode_iterator_token(text, kNow + ttl.count(), ttl).position, sample().position);
  try {
    decode_iterator_token(text, kNow + ttl.count() + 1, ttl);
    FAIL() << "an iterator older than 300 s was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), StatusCode::kExpiredIterator);
    EXPECT_NE(std::string(error.what()).find("tolerated delay of 300000 milliseconds"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(code_of([&] { decode_iterator_token(text, kNow - ttl.count() - 1, ttl); }), StatusCode::kExpiredIterator);
  EXPECT_EQ(code_of([&] { decode_iterator_token("garbage", kNow, ttl); }), StatusCode::kInvalidArgument);
}

TEST(IteratorToken, BelongsToTheIncarnationThatIssuedIt) {
  test::TempRoot root;
  StreamOptions options;
  options.shard_count = 2;
  auto stream = Stream::create("s", options, root.path());
  const std::string text = issue_iterator_token(*stream, 1, 64, kNow);
  const IteratorToken token = decode_iterator_token(text, kNow);
  EXPECT_EQ(token.stream_name, "s");
  EXPECT_EQ(token.shard_index, 1u);
  EXPECT_EQ(token.position, 64u);
  EXPECT_NO_THROW(verify_iterator_token(*stream, token));

  auto other = Stream::create("t", options, root.path());
  EXPECT_EQ(code_of([&] { verify_iterator_token(*other, token); }), StatusCode::kInvalidArgument);
  IteratorToken unused_shard = token;
  unused_shard.shard_index = 2;
  EXPECT_EQ(code_of([&] { verify_iterator_token(*stream, unused_shard); }), StatusCode::kResourceNotFound);

  stream.reset();
  Stream::remove("s", root.path());
  auto again = Stream::create("s", options, root.path());
  try {
    verify_iterator_token(*again, token);
    FAIL() << "a token of a deleted stream was accepted by its successor";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("deleted and created again"), std::string::npos) << error.what();
  }
}
