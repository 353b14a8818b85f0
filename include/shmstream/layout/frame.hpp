// Frame: one record (or padding) inside a segment. Shared by every process that maps the segment.
//
//  byte 0                8                16               24               32
//  +----------------+----------------+----------------+----------------+---------------------------+
//  | state word     | sequence number| arrival ns     | XXH3-64        | key | data | zero pad to 32 |
//  +----------------+----------------+----------------+----------------+---------------------------+
//  state word (u64):  bits  0..31  int32 length: 0 = free, < 0 = claimed (in progress), > 0 = committed
//                     bits 32..39  type (kData, kPad)
//                     bits 40..47  flags (kFlagEncrypted)
//                     bits 48..63  partition key length
//  length counts header + key + data (unpadded); a frame occupies align32(length) bytes.
//  checksum = XXH3_64bits_withSeed(key ‖ data, seed = XXH3_64bits(committed state word ‖ bytes 8..23))
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kFrameAlignment = 32;
inline constexpr uint32_t kFrameHeaderSize = 32;

enum class FrameType : uint8_t { kData = 1, kPad = 2 };
inline constexpr uint8_t kFlagEncrypted = 0x01;

struct FrameHeader {
  std::atomic<uint64_t> state;  // see state word above
  uint64_t sequence_number;     // == position of this frame; lets readers validate
  int64_t arrival_ns;           // CLOCK_REALTIME at reservation (ns since the Unix epoch)
  uint64_t checksum;            // DATA frames only
};

static_assert(sizeof(FrameHeader) == kFrameHeaderSize);
static_assert(offsetof(FrameHeader, state) == 0);
static_assert(offsetof(FrameHeader, sequence_number) == 8);
static_assert(offsetof(FrameHeader, arrival_ns) == 16);
static_assert(offsetof(FrameHeader, checksum) == 24);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

constexpr uint64_t align_frame(uint64_t length) noexcept {
  return (length + kFrameAlignment - 1) & ~uint64_t{kFrameAlignment - 1};
}

constexpr uint64_t make_state(int32_t length, FrameType type, uint8_t flags, uint16_t key_length) noexcept {
  return uint64_t{static_cast<uint32_t>(length)} | (uint64_t{static_cast<uint8_t>(type)} << 32) |
         (uint64_t{flags} << 40) | (uint64_t{key_length} << 48);
}
constexpr int32_t state_length(uint64_t state) noexcept { return static_cast<int32_t>(state & 0xffffffffu); }
constexpr FrameType state_type(uint64_t state) noexcept { return static_cast<FrameType>((state >> 32) & 0xff); }
constexpr uint8_t state_flags(uint64_t state) noexcept { return static_cast<uint8_t>((state >> 40) & 0xff); }
constexpr uint16_t state_key_length(uint64_t state) noexcept { return static_cast<uint16_t>(state >> 48); }

}  // namespace shmstream::layout
