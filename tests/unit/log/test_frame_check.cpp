// is_plain_frame, the batch loop's one-pass check of the usual frame, against classify_frame, which checks
// field by field: over a grid of state words around every boundary (lengths, key lengths, types, flags, the
// room left), the one-pass check takes a frame exactly when the full check reads it as a DATA frame of the
// stream, with the same lengths. A frame it took wrongly would be handed to the user unchecked. And the
// batch loop's walk over a segment whose frames end exactly at its end (the loop leaves that last frame to
// its general step), and its stop at a claimed frame, with and without pauses before looking again.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dead_producers.hpp"
#include "log/frame_check.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;
using namespace shmstream::detail;

namespace {

constexpr uint64_t kPosition = 4096 + 64;

// A frame buffer: the state word and arrival time at the start, payload bytes after, and (where the state
// word's lengths make sense and `good_checksum`) the checksum trailer a producer would write.
struct FrameBuffer {
  alignas(16) uint8_t bytes[8192];

  void write(uint64_t state, bool good_checksum) {
    std::memset(bytes, 0x5a, sizeof bytes);
    std::memcpy(bytes, &state, sizeof state);
    const int64_t arrival = 1'700'000'000'000'000'000;
    std::memcpy(bytes + 8, &arrival, sizeof arrival);
    const int64_t length = layout::state_length(state);
    const int64_t payload = length - layout::kFrameHeaderSize - layout::kChecksumTrailerSize;
    if (good_checksum && payload >= 0 && length <= 4096) {
      const uint64_t checksum = frame_checksum(bytes, kPosition, state, static_cast<size_t>(payload));
      std::memcpy(bytes + layout::kFrameHeaderSize + payload, &checksum, sizeof checksum);
    }
  }
};

uint64_t state_word(int32_t length, uint8_t type, uint8_t flags, uint16_t key_length) {
  return layout::make_state(length, static_cast<layout::FrameType>(type), flags, key_length);
}

}  // namespace

TEST(PlainFrameCheck, TakesExactlyWhatTheFullCheckReadsAsData) {
  FrameBuffer buffer;
  size_t taken = 0;
  size_t compared = 0;
  for (const uint8_t stream_flags : {uint8_t{0}, layout::kFlagChecksum}) {
    const PlainFrameShape shape(stream_flags);
    const uint32_t trailer = layout::trailer_size(stream_flags);
    for (const uint8_t type : {uint8_t{0}, uint8_t{1}, uint8_t{2}, uint8_t{7}, uint8_t{0xff}}) {
      for (const uint8_t flags : {stream_flags, uint8_t(stream_flags ^ layout::kFlagChecksum),
                                  uint8_t(stream_flags | layout::kFlagEncrypted), uint8_t(stream_flags | 0x80)}) {
        for (const uint16_t key : {0, 1, 2, 255, 1023, 1024, 1025, 0x7fff, 0xffff}) {
          const int64_t fixed = layout::kFrameHeaderSize + key + trailer;
          for (const int64_t length : {int64_t{-4096}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{15}, int64_t{16},
                                       int64_t{17}, fixed - 1, fixed, fixed + 1, fixed + 64, int64_t{1024},
                                       int64_t{1040}, int64_t{4081}, int64_t{4096}, int64_t{4097},
                                       int64_t{0x7fffffff}}) {
            if (length < INT32_MIN || length > INT32_MAX) continue;
            for (const uint64_t room : {uint64_t{16}, uint64_t{1040}, uint64_t{1041}, uint64_t{4096}}) {
              for (const bool good_checksum : {false, true}) {
                const uint64_t state = state_word(static_cast<int32_t>(length), type, flags, key);
                buffer.write(state, good_checksum);
                for (const bool verify : {false, true}) {
                  PlainFrame plain{};
                  const bool plain_taken =
                      is_plain_frame(buffer.bytes, state, room, kPosition, shape, verify, plain);
                  FrameInfo info;
                  const FrameKind kind =
                      classify_frame(buffer.bytes, state, room, kPosition, stream_flags, verify, info);
                  ASSERT_EQ(plain_taken, kind == FrameKind::kData)
                      << "state " << std::hex << state << std::dec << " room " << room << " verify " << verify;
                  ++compared;
                  if (!plain_taken) continue;
                  ++taken;
                  EXPECT_EQ(plain.footprint, info.footprint);
                  EXPECT_EQ(plain.key_length, info.key_length);
                  EXPECT_EQ(plain.data_length, info.data_length);
                  EXPECT_EQ(plain.payload, plain.key_length + plain.data_length);
                  EXPECT_EQ(plain.arrival_ns, info.arrival_ns);
                  EXPECT_LE(plain.footprint, room);
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(taken, 100u) << "the grid must reach frames both checks take";
  EXPECT_GT(compared, 90000u);
}

TEST(PlainFrameCheck, KeyLengthBoundsAndRoom) {
  FrameBuffer buffer;
  const PlainFrameShape shape(0);
  PlainFrame plain{};
  const auto takes = [&](uint16_t key, int32_t length, uint64_t room) {
    const uint64_t state = state_word(length, 1, 0, key);
    buffer.write(state, false);
    return is_plain_frame(buffer.bytes, state, room, kPosition, shape, false, plain);
  };
  EXPECT_FALSE(takes(0, 64, 4096)) << "an empty key";
  EXPECT_TRUE(takes(1, 17, 4096));
  EXPECT_TRUE(takes(kMaxPartitionKeyBytes, 16 + kMaxPartitionKeyBytes, 4096));
  EXPECT_FALSE(takes(kMaxPartitionKeyBytes + 1, 16 + kMaxPartitionKeyBytes + 1, 4096));
  EXPECT_FALSE(takes(8, 23, 4096)) << "shorter than header and key";
  EXPECT_TRUE(takes(8, 24, 4096));
  EXPECT_EQ(plain.data_length, 0u);
  EXPECT_TRUE(takes(8, 100, 112)) << "a frame filling the room exactly";
  EXPECT_FALSE(takes(8, 100, 111)) << "a frame one byte past the room";
}

TEST(PlainFrameCheck, BatchLoopReadsFramesEndingExactlyAtTheSegmentEnd) {
  for (const bool checksums : {false, true}) {
    test::TempRoot root;
    StreamOptions options;
    options.segment_size = kMinSegmentSize;
    options.checksums = checksums;
    auto stream = Stream::create("exact", options, root.path());
    // 64-byte frames: 63 fill a 4096-byte segment after its 64-byte header to the last byte.
    const size_t data_bytes = 64 - layout::kFrameHeaderSize - 1 - (checksums ? layout::kChecksumTrailerSize : 0);
    Producer producer(stream);
    std::vector<std::pair<uint64_t, std::string>> put;
    for (int i = 0; i < 200; ++i) {
      std::string data(data_bytes, static_cast<char>('a' + i % 26));
      data.replace(0, std::to_string(i).size(), std::to_string(i));
      PutResult result;
      ASSERT_TRUE(producer.put_record("k", data, result).is_ok());
      put.emplace_back(result.sequence_number, data);
    }
    size_t at_segment_end = 0;
    for (const auto& [sequence_number, data] : put) at_segment_end += sequence_number % kMinSegmentSize == kMinSegmentSize - 64;
    ASSERT_GE(at_segment_end, 3u) << "the records must end segments exactly for this test to mean anything";
    for (const uint32_t limit : {1u, 7u, 63u, 64u, 1000u}) {
      ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
      RecordBatch batch;
      size_t read = 0;
      while (read < put.size()) {
        ASSERT_TRUE(reader.get_records(batch, limit).is_ok());
        ASSERT_FALSE(batch.records.empty()) << "stopped after " << read << " records, limit " << limit;
        for (const auto& record : batch.records) {
          ASSERT_EQ(record.sequence_number, put[read].first);
          ASSERT_EQ(record.data, put[read].second);
          ASSERT_EQ(record.partition_key, "k");
          ++read;
        }
      }
      ASSERT_TRUE(reader.get_records(batch, limit).is_ok());
      EXPECT_TRUE(batch.records.empty());
    }
  }
}

TEST(PlainFrameCheck, BatchLoopStopsAtAClaimedFrameWithOrWithoutPauses) {
  test::TempRoot root;
  auto stream = Stream::create("claimed", StreamOptions{}, root.path());
  {
    Producer producer(stream);
    PutResult result;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(producer.put_record("k", "record-" + std::to_string(i), result).is_ok());
  }
  const uint64_t claimed = test::claim_at_the_hint_and_die(*stream, 64);  // a shared producer mid-write
  for (const uint32_t pauses : {0u, 8u}) {
    ReaderOptions options;
    options.claimed_frame_pauses = pauses;
    ShardReader reader(stream, 0, {IteratorType::kTrimHorizon}, options);
    RecordBatch batch;
    ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
    ASSERT_EQ(batch.records.size(), 3u);
    EXPECT_EQ(batch.records.back().data, "record-2");
    EXPECT_EQ(batch.next_position, claimed) << "the batch ends at the claimed frame";
    ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
    EXPECT_TRUE(batch.records.empty()) << "pauses " << pauses;
    EXPECT_EQ(batch.next_position, claimed);
    EXPECT_EQ(batch.millis_behind_latest, 0);
  }
}
