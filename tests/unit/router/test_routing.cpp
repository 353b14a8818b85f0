// Routing exactly as Kinesis: MD5 of the partition key as a big-endian u128, even split of [0, 2^128).
// Expected values were computed independently with Python's hashlib and integer arithmetic.
#include <gtest/gtest.h>

#include "router/hash_ranges.hpp"
#include "router/key_cache.hpp"
#include "router/md5_hasher.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

struct RoutingVector {
  std::string key;
  const char* md5_decimal;
  uint32_t shard_for[6];  // shard counts 1, 2, 3, 5, 7, 16
};
constexpr uint32_t kShardCounts[6] = {1, 2, 3, 5, 7, 16};

const std::vector<RoutingVector>& vectors() {
  static const std::vector<RoutingVector> all = {
      {"a", "16955237001963240173058271559858726497", {0, 0, 0, 0, 0, 0}},
      {"partition-key-1", "33365116028791453877729010807000998774", {0, 0, 0, 0, 0, 1}},
      {"AAPL", "184850406388112911326934670974242359210", {0, 1, 1, 2, 3, 8}},
      {"MSFT", "233968545763494879677766337165905886050", {0, 1, 2, 3, 4, 11}},
      {"\xc3\xbcn\xc3\xaf""c\xc3\xb6""d\xc3\xa9", "256722031580718547613654307905579277080", {0, 1, 2, 3, 5, 12}},
      {std::string(256, 'x'), "265353499944959180620795534685136097465", {0, 1, 2, 3, 5, 12}},
      {"0", "276215275525073243129443018166533317850", {0, 1, 2, 4, 5, 12}},
      {"key with spaces", "265916639201960589241421261187035974903", {0, 1, 2, 3, 5, 12}},
  };
  return all;
}

}  // namespace

TEST(Routing, Md5MatchesIndependentVectors) {
  detail::Md5Hasher hasher;
  for (const auto& vector : vectors()) {
    EXPECT_EQ(format_hash_key(hasher.hash(vector.key)), vector.md5_decimal) << vector.key;
  }
}

TEST(Routing, EvenSplitMatchesAws) {
  // floor(2^128 / 3) and floor(2^128 / 7), from Python.
  auto three = detail::even_split(3);
  EXPECT_EQ(format_hash_key(three[1].start), "113427455640312821154458202477256070485");
  EXPECT_EQ(format_hash_key(three[0].end), "113427455640312821154458202477256070484");
  EXPECT_EQ(three[2].end, kMaxHashKey);
  auto seven = detail::even_split(7);
  EXPECT_EQ(format_hash_key(seven[1].start), "48611766702991209066196372490252601636");
  auto one = detail::even_split(1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].start, 0u);
  EXPECT_EQ(one[0].end, kMaxHashKey);
  auto sixteen = detail::even_split(16);  // power of two: exact split
  EXPECT_EQ(sixteen[1].start, HashKey{1} << 124);
  for (uint32_t n : {1u, 2u, 3u, 5u, 7u, 16u, 1000u}) {
    auto ranges = detail::even_split(n);
    ASSERT_EQ(ranges.size(), n);
    EXPECT_EQ(ranges.front().start, 0u);
    EXPECT_EQ(ranges.back().end, kMaxHashKey);
    for (uint32_t i = 1; i < n; ++i) EXPECT_EQ(ranges[i].start, ranges[i - 1].end + 1);
  }
}

TEST(Routing, ProducerRoutesLikeKinesis) {
  test::TempRoot root;
  for (size_t c = 0; c < 6; ++c) {
    StreamOptions options;
    options.shard_count = kShardCounts[c];
    options.segment_size = 64 * 1024;
    auto stream = Stream::create("route" + std::to_string(c), options, root.path());
    Producer producer(stream);
    for (int pass = 0; pass < 2; ++pass) {  // second pass is served by the key cache
      for (const auto& vector : vectors()) {
        PutResult result;
        ASSERT_TRUE(producer.put_record(vector.key, "v", result).is_ok());
        EXPECT_EQ(result.shard_index, vector.shard_for[c]) << vector.key << " with " << kShardCounts[c] << " shards";
      }
    }
  }
}

TEST(Routing, ExplicitHashKeyOverridesPartitionKey) {
  test::TempRoot root;
  StreamOptions options;
  options.shard_count = 4;
  options.segment_size = 64 * 1024;
  auto stream = Stream::create("explicit", options, root.path());
  Producer producer(stream);
  const HashKey quarter = HashKey{1} << 126;
  const HashKey keys[] = {0, quarter - 1, quarter, 3 * quarter, kMaxHashKey};
  const uint32_t expected[] = {0, 0, 1, 3, 3};
  for (size_t i = 0; i < 5; ++i) {
    PutResult result;
    ASSERT_TRUE(producer.put_record("a", "v", result, &keys[i]).is_ok());
    EXPECT_EQ(result.shard_index, expected[i]);
  }
}

TEST(HashKeyText, ParsesOnlyDecimalsBelow2To128) {
  EXPECT_EQ(parse_hash_key("0"), HashKey{0});
  EXPECT_EQ(parse_hash_key("340282366920938463463374607431768211455"), kMaxHashKey);
  EXPECT_FALSE(parse_hash_key("340282366920938463463374607431768211456"));  // 2^128
  EXPECT_FALSE(parse_hash_key("999999999999999999999999999999999999999"));
  EXPECT_FALSE(parse_hash_key(""));
  EXPECT_FALSE(parse_hash_key("-1"));
  EXPECT_FALSE(parse_hash_key("+1"));
  EXPECT_FALSE(parse_hash_key(" 1"));
  EXPECT_FALSE(parse_hash_key("0x10"));
  EXPECT_EQ(format_hash_key(kMaxHashKey), "340282366920938463463374607431768211455");
  EXPECT_EQ(parse_sequence_number("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_sequence_number("18446744073709551616"));
}

TEST(KeyCache, ServesThousandsOfKeysAndNeverConfusesThem) {
  detail::KeyCache cache;
  const auto key_of = [](int i) { return "SYM" + std::to_string(i); };
  for (int i = 0; i < 1000; ++i) {
    uint64_t key_hash = 0;
    bool hit = true;
    const std::string key = key_of(i);
    auto& slot = cache.lookup(key, key_hash, hit);
    EXPECT_FALSE(hit);
    cache.fill(slot, key, key_hash, HashKey{static_cast<uint64_t>(i)}, static_cast<uint32_t>(i), 1);
  }
  int hits = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t key_hash = 0;
    bool hit = false;
    const std::string key = key_of(i);
    auto& slot = cache.lookup(key, key_hash, hit);
    if (hit) {
      ++hits;
      EXPECT_EQ(slot.shard_index, static_cast<uint32_t>(i));  // a hit is always this key's entry
    }
  }
  EXPECT_GT(hits, 950);  // two-way sets at a quarter load: a few percent conflict misses
  EXPECT_FALSE(detail::KeyCache::cacheable(std::string(65, 'k')));
}

// A hit compares the key bytes (hash collisions are too rare to reach this through lookups): every
// length a slot holds, a difference at every position.
TEST(KeyCache, KeyComparisonSeesEveryByte) {
  for (size_t length = 1; length <= detail::KeyCache::kMaxCachedKeyBytes; ++length) {
    std::string cached(detail::KeyCache::kMaxCachedKeyBytes, 'x');  // a slot: bytes past the key differ
    const std::string key(length, 'k');
    cached.replace(0, length, key);
    ASSERT_TRUE(detail::KeyCache::same_bytes(cached.data(), key)) << length;
    for (size_t at = 0; at < length; ++at) {
      std::string other = key;
      other[at] = 'K';
      EXPECT_FALSE(detail::KeyCache::same_bytes(cached.data(), other)) << length << " " << at;
    }
  }
}
