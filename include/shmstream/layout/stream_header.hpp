// Stream header: the first 4096 bytes of `<stream>/stream.meta`; the shard table (ShardEntry x capacity)
// follows at offset 4096. Every participant maps the whole file read-write.
//
//    0 magic word (u32 magic, u16 major, u16 minor; stored last by the creator, release)
//    8 header size (4096)        16 segment size (power of two)
//   24 shard capacity (u32)      28 shard count (u32; next free shard index)
//   32 shard table epoch (u64; bumped by every reshard)
//   40 creation ns               48 retention ns            56 retention bytes
//   64 unblock timeout ns        72 file mode (u32)         76 stream status (u32)
//   80 uuid (16 bytes)           96 encryption type (u32)   100 frame flags (u32: kFlagChecksum)
//  104 encryption key id (char[152], NUL-terminated)
//  256 stream name (char[129], NUL-terminated) .. 385 reserved
//  512 stream eventcount futex word (u32)   516 stream eventcount waiter count (u32)   (own cache line)
//  576 stream mode (u32: 0 PROVISIONED, 1 ON_DEMAND)   580 shard-level metrics (u32, bit per MetricsName)
//  584 throttling flags (u32: kThrottleAwsLimits)       588 injected throttling (u32, parts per million)
//  592 reserved .. 4096                                  (own cache line from 576: control-path settings)
// Layout 2.0: frames of layout 2 (frame.hpp) and the stream-wide frame flags at 100 (checksums on/off).
// Layout 2.1: the settings at 576..592. A 2.0 file holds zeros there: PROVISIONED, no enhanced metrics,
// no throttling, so either library reads the other's files. Changes to 584..592 bump the shard table
// epoch (32) as well, so producers re-read them where they re-read the table (docs/FORMAT.md).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kStreamMagic = 0x4d525453;  // "STRM" little-endian
inline constexpr uint16_t kStreamLayoutMajor = 2;
inline constexpr uint16_t kStreamLayoutMinor = 1;
inline constexpr uint64_t kStreamHeaderSize = 4096;
inline constexpr uint32_t kMaxStreamNameLength = 128;
inline constexpr uint32_t kMaxKeyIdLength = 151;

enum class StreamStatus : uint32_t { kCreating = 0, kActive = 1, kUpdating = 2, kDeleting = 3 };
enum class StreamModeCode : uint32_t { kProvisioned = 0, kOnDemand = 1 };

inline constexpr uint32_t kThrottleAwsLimits = 1;      // per-shard limits of the real service enforced
inline constexpr uint32_t kKnownThrottleFlags = kThrottleAwsLimits;
inline constexpr uint32_t kMaxInjectedThrottlePpm = 1'000'000;

constexpr uint64_t stream_magic_word() noexcept {
  return uint64_t{kStreamMagic} | (uint64_t{kStreamLayoutMajor} << 32) | (uint64_t{kStreamLayoutMinor} << 48);
}

struct StreamHeader {
  std::atomic<uint64_t> magic_word;
  uint64_t header_size;
  uint64_t segment_size;
  uint32_t shard_capacity;
  std::atomic<uint32_t> shard_count;
  std::atomic<uint64_t> shard_table_epoch;
  int64_t creation_ns;
  std::atomic<int64_t> retention_ns;
  std::atomic<uint64_t> retention_bytes;
  std::atomic<int64_t> unblock_timeout_ns;
  uint32_t file_mode;
  std::atomic<uint32_t> status;  // StreamStatus
  uint8_t uuid[16];
  std::atomic<uint32_t> encryption_type;
  uint32_t frame_flags;  // flags every DATA frame of the stream carries (kFlagChecksum); fixed at creation
  char key_id[kMaxKeyIdLength + 1];
  char name[kMaxStreamNameLength + 1];
  uint8_t reserved1[512 - 385];
  // Readers waiting on any shard of the stream (StreamReader, tail): producers wake it like a shard's.
  alignas(64) std::atomic<uint32_t> futex_word;
  std::atomic<uint32_t> waiter_count;
  uint8_t reserved2[576 - 520];
  // Settings of the control path (under the stream's flock); read by describe, the producers' refresh
  // after an epoch change, and readers' get_records (throttling flags only).
  alignas(64) std::atomic<uint32_t> stream_mode;         // StreamModeCode
  std::atomic<uint32_t> shard_level_metrics;             // bit i: kShardLevelMetricNames[i] (stream.hpp)
  std::atomic<uint32_t> throttle_flags;                  // kThrottleAwsLimits
  std::atomic<uint32_t> injected_throttle_ppm;           // 0..kMaxInjectedThrottlePpm
  uint8_t reserved3[kStreamHeaderSize - 592];
};

static_assert(sizeof(StreamHeader) == kStreamHeaderSize);
static_assert(offsetof(StreamHeader, segment_size) == 16);
static_assert(offsetof(StreamHeader, shard_capacity) == 24);
static_assert(offsetof(StreamHeader, shard_count) == 28);
static_assert(offsetof(StreamHeader, shard_table_epoch) == 32);
static_assert(offsetof(StreamHeader, creation_ns) == 40);
static_assert(offsetof(StreamHeader, retention_ns) == 48);
static_assert(offsetof(StreamHeader, retention_bytes) == 56);
static_assert(offsetof(StreamHeader, unblock_timeout_ns) == 64);
static_assert(offsetof(StreamHeader, file_mode) == 72);
static_assert(offsetof(StreamHeader, status) == 76);
static_assert(offsetof(StreamHeader, uuid) == 80);
static_assert(offsetof(StreamHeader, encryption_type) == 96);
static_assert(offsetof(StreamHeader, frame_flags) == 100);
static_assert(offsetof(StreamHeader, key_id) == 104);
static_assert(offsetof(StreamHeader, name) == 256);
static_assert(offsetof(StreamHeader, futex_word) == 512);
static_assert(offsetof(StreamHeader, waiter_count) == 516);
static_assert(offsetof(StreamHeader, stream_mode) == 576);
static_assert(offsetof(StreamHeader, shard_level_metrics) == 580);
static_assert(offsetof(StreamHeader, throttle_flags) == 584);
static_assert(offsetof(StreamHeader, injected_throttle_ppm) == 588);

}  // namespace shmstream::layout
