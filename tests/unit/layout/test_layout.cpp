// Golden tests of the on-memory format: the bytes a stream, a segment and a frame hold, read back with
// plain file reads (not through the library's structs) so a layout change cannot go unnoticed.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "shmstream/layout/frame.hpp"
#include "shmstream/layout/segment_header.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/layout/shard_throughput.hpp"
#include "shmstream/layout/stream_header.hpp"
#include "shmstream/janitor.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "crypto/key_store.hpp"
#include "dead_producers.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

template <typename T>
T at(const std::vector<uint8_t>& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// A stream of one shard with 4 KiB segments and no checksums, whose first frame is at offset 64 of its
// first segment file.
std::shared_ptr<Stream> small_plain_stream(const std::string& name, const test::TempRoot& root) {
  StreamOptions options;
  options.segment_size = 4096;
  options.checksums = false;
  return Stream::create(name, options, root.path());
}

}  // namespace

TEST(Layout, VersionWordsAreStable) {
  EXPECT_EQ(layout::stream_magic_word(), 0x000400024d525453ull);  // 2.4
  EXPECT_EQ(layout::throughput_magic_word(), 0x0000000155524854ull);  // 1.0
  EXPECT_EQ(layout::segment_magic_word(), 0x0000000247455353ull);  // 2.0
  EXPECT_EQ(layout::make_state(100, layout::FrameType::kData, 0, 5), 0x0005000100000064ull);
  EXPECT_EQ(layout::make_state(-100, layout::FrameType::kData, 0, 5), 0x00050001ffffff9cull);
  EXPECT_EQ(layout::state_length(0x00050001ffffff9cull), -100);
}

TEST(Layout, StreamMetaBytes) {
  test::TempRoot root;
  StreamOptions options;
  options.shard_count = 2;
  options.segment_size = 8192;
  options.retention = std::chrono::hours(48);
  options.retention_bytes = 1 << 20;
  options.checksums = true;
  options.stream_mode = StreamMode::kOnDemand;
  auto stream = Stream::create("golden", options, root.path());
  stream->enable_enhanced_monitoring(*shard_level_metric_bits("IncomingBytes") |
                                     *shard_level_metric_bits("IteratorAgeMilliseconds"));
  stream->set_throttling({.injected_throttle_ppm = 250'000, .aws_limits = true});
  const auto meta = read_file(root.path() + "/golden/stream.meta");
  ASSERT_EQ(meta.size(), 4096u + 4096u * 256u);
  EXPECT_EQ(at<uint64_t>(meta, 0), layout::stream_magic_word());
  EXPECT_EQ(at<uint64_t>(meta, 8), 4096u);
  EXPECT_EQ(at<uint64_t>(meta, 16), 8192u);
  EXPECT_EQ(at<uint32_t>(meta, 24), 4096u);  // capacity
  EXPECT_EQ(at<uint32_t>(meta, 28), 2u);     // shard count
  EXPECT_EQ(at<int64_t>(meta, 48), int64_t{48} * 3600 * 1'000'000'000);
  EXPECT_EQ(at<uint64_t>(meta, 56), uint64_t{1} << 20);
  EXPECT_EQ(at<int64_t>(meta, 64), 2'000'000'000);  // unblock timeout
  EXPECT_EQ(at<uint32_t>(meta, 72), 0600u);
  EXPECT_EQ(at<uint32_t>(meta, 76), 1u);  // ACTIVE
  EXPECT_EQ(at<uint32_t>(meta, 100), 1u);  // frame flags: checksums (asked for below)
  EXPECT_STREQ(reinterpret_cast<const char*>(meta.data() + 256), "golden");
  EXPECT_EQ(at<uint64_t>(meta, 32), 2u);     // shard table epoch: 1, bumped by the throttling change
  EXPECT_EQ(at<uint32_t>(meta, 576), 1u);    // ON_DEMAND
  EXPECT_EQ(at<uint32_t>(meta, 580), 0x41u); // IncomingBytes (bit 0), IteratorAgeMilliseconds (bit 6)
  EXPECT_EQ(at<uint32_t>(meta, 584), 1u);    // AWS-limits mode
  EXPECT_EQ(at<uint32_t>(meta, 588), 250'000u);
  const auto throughput = read_file(root.path() + "/golden/throughput.state");
  ASSERT_EQ(throughput.size(), 64u + 4096u * 64u);
  EXPECT_EQ(at<uint64_t>(throughput, 0), layout::throughput_magic_word());
  EXPECT_EQ(at<uint32_t>(throughput, 8), 4096u);
  // shard 1 of 2 covers [2^127, 2^128 - 1]
  const size_t shard1 = 4096 + 256;
  EXPECT_EQ(at<uint64_t>(meta, shard1 + 0), 0u);
  EXPECT_EQ(at<uint64_t>(meta, shard1 + 8), uint64_t{1} << 63);
  EXPECT_EQ(at<uint64_t>(meta, shard1 + 16), ~uint64_t{0});
  EXPECT_EQ(at<uint64_t>(meta, shard1 + 24), ~uint64_t{0});
  EXPECT_EQ(at<uint32_t>(meta, shard1 + 32), 1u);                // index
  EXPECT_EQ(at<uint32_t>(meta, shard1 + 36), 1u);                // OPEN
  EXPECT_EQ(at<uint32_t>(meta, shard1 + 40), layout::kNoShard);  // no parent
  EXPECT_EQ(at<uint64_t>(meta, shard1 + 48), 64u);               // starting sequence number
  EXPECT_EQ(at<uint64_t>(meta, shard1 + 56), layout::kNoSequence);
  EXPECT_EQ(at<uint64_t>(meta, shard1 + 72), 64u);  // trim horizon
}

TEST(Layout, SegmentAndFrameBytes) {
  test::TempRoot root;
  auto stream = small_plain_stream("frames", root);
  Producer producer(stream);
  PutResult first, second;
  ASSERT_TRUE(producer.put_record("key", "hello", first).is_ok());
  ASSERT_TRUE(producer.put_record("k2", std::string(40, 'z'), second).is_ok());
  EXPECT_EQ(first.sequence_number, 64u);
  EXPECT_EQ(second.sequence_number, 64u + 32u);  // 16 + 3 + 5 = 24 -> 32 bytes

  const auto segment = read_file(root.path() + "/frames/shards/0/00000000000000000000.seg");
  ASSERT_EQ(segment.size(), 4096u);
  EXPECT_EQ(at<uint64_t>(segment, 0), layout::segment_magic_word());
  EXPECT_EQ(at<uint64_t>(segment, 8), 0u);   // base position
  EXPECT_NE(at<int64_t>(segment, 16), 0);    // first arrival
  EXPECT_EQ(at<uint32_t>(segment, 32), 0u);  // shard index
  EXPECT_EQ(at<uint64_t>(segment, 40), 4096u);
  EXPECT_EQ(at<uint64_t>(segment, 48), 64u + 32u + 64u);  // tail: 16 + 2 + 40 = 58 -> 64 bytes

  const uint64_t state = at<uint64_t>(segment, 64);
  EXPECT_EQ(state, layout::make_state(24, layout::FrameType::kData, 0, 3));
  const int64_t arrival = at<int64_t>(segment, 72);
  EXPECT_NEAR(static_cast<double>(arrival), static_cast<double>(now_ns()), 60e9);
  EXPECT_EQ(std::memcmp(segment.data() + 80, "keyhello", 8), 0);
  for (size_t i = 88; i < 96; ++i) EXPECT_EQ(segment[i], 0) << "padding byte " << i;
  EXPECT_EQ(at<uint64_t>(segment, 96), layout::make_state(58, layout::FrameType::kData, 0, 2));
}

// Layout 2.4: the janitor pads a stalled shared claim with the claim's own length (here not a multiple of 16)
// and counts the unblock in the shard entry's epoch at 136 first; readers step over the padding.
TEST(Layout, UnblockedClaimBytes) {
  test::TempRoot root;
  auto stream = small_plain_stream("unblock", root);
  Producer producer(stream);
  PutResult before, after;
  ASSERT_TRUE(producer.put_record("k", "before", before).is_ok());
  const uint64_t claim = test::claim_at_the_hint_and_die(*stream, 40);
  ASSERT_TRUE(producer.put_record("k", "after", after).is_ok());
  JanitorOptions janitor_options;
  janitor_options.root = root.path();
  Janitor janitor(janitor_options);
  const int64_t start = now_ns();
  janitor.do_work(start);
  janitor.do_work(start + 3'000'000'000);
  ASSERT_EQ(janitor.counters().frames_unblocked, 1u);

  const auto segment = read_file(root.path() + "/unblock/shards/0/00000000000000000000.seg");
  EXPECT_EQ(at<uint64_t>(segment, claim), 0x0000000200000028ull);  // PAD, flags 0, key length 0, length 40
  const auto meta = read_file(root.path() + "/unblock/stream.meta");
  EXPECT_EQ(at<uint64_t>(meta, 4096 + 136), 1u);  // shard 0's unblock epoch
  ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(reader.get_records(batch, 10).is_ok());
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.records[1].data, "after");
  EXPECT_EQ(batch.records[1].sequence_number, claim + 48);  // the padding occupies align16(40) bytes
}

TEST(Layout, ChecksumTrailer) {
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = 4096;
  options.checksums = true;
  auto stream = Stream::create("sums", options, root.path());
  EXPECT_TRUE(stream->describe().checksums);
  Producer producer(stream);
  PutResult first, second;
  ASSERT_TRUE(producer.put_record("key", "hello", first).is_ok());
  ASSERT_TRUE(producer.put_record("k2", "x", second).is_ok());
  EXPECT_EQ(second.sequence_number, 64u + 32u);  // 16 + 3 + 5 + 8 = 32 bytes

  const auto segment = read_file(root.path() + "/sums/shards/0/00000000000000000000.seg");
  const uint64_t state = at<uint64_t>(segment, 64);
  EXPECT_EQ(state, layout::make_state(32, layout::FrameType::kData, layout::kFlagChecksum, 3));
  // checksum = XXH3_64bits_withSeed(arrival ‖ key ‖ data, seed = position ^ committed state word)
  EXPECT_EQ(at<uint64_t>(segment, 88), XXH3_64bits_withSeed(segment.data() + 72, 8 + 8, 64u ^ state));
}

// A layout 2.0 stream.meta (zeros at 576..592) opens as PROVISIONED, without metrics or throttling.
TEST(Layout, Minor0StreamMetaOpens) {
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = 8192;
  Stream::create("older", options, root.path());
  const std::string path = root.path() + "/older/stream.meta";
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    const uint16_t minor0 = 0;
    file.seekp(6);
    file.write(reinterpret_cast<const char*>(&minor0), sizeof minor0);
  }
  const StreamInfo info = Stream::open("older", root.path())->describe();
  EXPECT_EQ(info.stream_mode, StreamMode::kProvisioned);
  EXPECT_EQ(info.shard_level_metrics, 0u);
  EXPECT_EQ(Stream::open("older", root.path())->throttling(), ThrottleSettings{});
}

// Settings no library writes are refused as damage, not trusted.
TEST(Layout, UnknownSettingsAreCorruption) {
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = 8192;
  Stream::create("odd", options, root.path());
  const std::string path = root.path() + "/odd/stream.meta";
  for (const size_t offset : {576u, 580u, 584u, 588u}) {
    const uint32_t original = 0, odd = offset == 588 ? 1'000'001u : 0x80u;
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(reinterpret_cast<const char*>(&odd), sizeof odd);
    file.flush();
    EXPECT_EQ(test::code_of([&] { Stream::open("odd", root.path()); }), StatusCode::kCorrupted) << offset;
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(reinterpret_cast<const char*>(&original), sizeof original);
  }
  EXPECT_NO_THROW(Stream::open("odd", root.path()));
}

TEST(Layout, EncryptionFieldsAndEncryptedFrame) {
  test::TempRoot root;
  ::setenv("SHMSTREAM_KEY_DIR", (root.path() + "/keys").c_str(), 1);
  StreamOptions options;
  options.segment_size = 4096;
  options.checksums = true;
  auto stream = Stream::create("sealed", options, root.path());
  const std::string key_id = detail::KeyStore().create_key("").key_id;
  stream->start_encryption("KMS", key_id);
  Producer producer(stream);
  PutResult first, second;
  ASSERT_TRUE(producer.put_record("key", "hello", first).is_ok());
  ASSERT_TRUE(producer.put_record("k2", "x", second).is_ok());
  ::unsetenv("SHMSTREAM_KEY_DIR");
  EXPECT_EQ(second.sequence_number, 64u + 48u);  // 16 + 3 + 5 + 8 + 16 = 48 bytes

  const auto meta = read_file(root.path() + "/sealed/stream.meta");
  EXPECT_EQ(at<uint32_t>(meta, 96), 1u);  // KMS
  EXPECT_STREQ(reinterpret_cast<const char*>(meta.data() + 104), key_id.c_str());
  EXPECT_EQ(at<uint32_t>(meta, 1024), 1u);  // key generation
  EXPECT_EQ(at<uint32_t>(meta, 1028), 2u);  // key id sequence: one change, ended (even)
  EXPECT_STREQ(reinterpret_cast<const char*>(meta.data() + 1032), (root.path() + "/keys").c_str());
  const size_t slot1 = 1272 + 24;
  EXPECT_EQ(at<uint32_t>(meta, slot1), 1u);
  EXPECT_NEAR(at<uint32_t>(meta, slot1 + 4), static_cast<double>(::time(nullptr)), 5.0);  // started (2.3)
  detail::KeyUuid uuid;
  ASSERT_TRUE(detail::parse_uuid(key_id, uuid));
  EXPECT_EQ(std::memcmp(meta.data() + slot1 + 8, uuid.data(), 16), 0);
  EXPECT_EQ(at<uint32_t>(meta, 1272), 0u);  // slot 0 unused

  const auto segment = read_file(root.path() + "/sealed/shards/0/00000000000000000000.seg");
  const uint8_t flags = layout::kFlagChecksum | layout::kFlagEncrypted | (1u << 2);
  EXPECT_EQ(at<uint64_t>(segment, 64), layout::make_state(48, layout::FrameType::kData, flags, 3));
  EXPECT_NE(std::memcmp(segment.data() + 80, "keyhello", 8), 0);  // ciphertext in its place
  // The checksum covers the ciphertext as stored; the tag follows it.
  EXPECT_EQ(at<uint64_t>(segment, 88), XXH3_64bits_withSeed(segment.data() + 72, 8 + 8, 64u ^ at<uint64_t>(segment, 64)));
}
