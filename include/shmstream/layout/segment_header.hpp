// Segment header: the first 64 bytes (one cache line) of every segment file
// `shards/<index>/<base position, 20 digits>.seg`. Frames start right after it, at offset 64.
//
//  0        8        16       24       32       36       40       48       56       64
//  +--------+--------+--------+--------+--------+--------+--------+--------+--------+
//  | magic  | base   | first  | last   | shard  | flags  | segment| tail   | stream |
//  | +vers. | pos.   | arrival| arrival| index  | SEALED | size   | +CLOSED| uuid lo|
//  +--------+--------+--------+--------+--------+--------+--------+--------+--------+
//  tail: next free offset inside the segment (may overshoot the segment size: that is how producers
//        learn the segment is full); bit 63 = the shard was closed by a reshard, re-route.
//  first/last arrival: ns since the epoch of the first frame / of the newest frame when sealed (0 = unknown).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kSegmentMagic = 0x47455353;  // "SSEG" little-endian
inline constexpr uint16_t kSegmentLayoutMajor = 2;  // 2: frames of layout 2 (frame.hpp)
inline constexpr uint16_t kSegmentLayoutMinor = 0;
inline constexpr uint64_t kSegmentHeaderSize = 64;
inline constexpr uint64_t kTailClosedBit = uint64_t{1} << 63;
inline constexpr uint32_t kSegmentFlagSealed = 0x1;

constexpr uint64_t segment_magic_word() noexcept {
  return uint64_t{kSegmentMagic} | (uint64_t{kSegmentLayoutMajor} << 32) | (uint64_t{kSegmentLayoutMinor} << 48);
}

struct alignas(64) SegmentHeader {
  std::atomic<uint64_t> magic_word;      // written last by the creator (release)
  uint64_t base_position;                // segment number * segment size
  std::atomic<int64_t> first_arrival_ns; // set by whoever writes the first frame
  std::atomic<int64_t> last_arrival_ns;  // set when sealed
  uint32_t shard_index;
  std::atomic<uint32_t> flags;           // kSegmentFlagSealed once the segment is full
  uint64_t segment_size;
  std::atomic<uint64_t> tail;            // reservation counter, see above
  uint64_t stream_uuid_low;              // rejects a segment copied from another stream
};

static_assert(sizeof(SegmentHeader) == kSegmentHeaderSize);
static_assert(offsetof(SegmentHeader, magic_word) == 0);
static_assert(offsetof(SegmentHeader, base_position) == 8);
static_assert(offsetof(SegmentHeader, first_arrival_ns) == 16);
static_assert(offsetof(SegmentHeader, last_arrival_ns) == 24);
static_assert(offsetof(SegmentHeader, shard_index) == 32);
static_assert(offsetof(SegmentHeader, flags) == 36);
static_assert(offsetof(SegmentHeader, segment_size) == 40);
static_assert(offsetof(SegmentHeader, tail) == 48);
static_assert(offsetof(SegmentHeader, stream_uuid_low) == 56);

}  // namespace shmstream::layout
