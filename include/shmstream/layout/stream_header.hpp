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
//  592 reserved .. 1024                                 (own cache line from 576: control-path settings)
// 1024 key generation (u32; 0 = never encrypted, bumped by every StartStreamEncryption)
// 1028 key id sequence (u32; odd while a start or stop rewrites the encryption type and key id: a seqlock)
// 1032 key directory of the latest start (char[240], NUL-terminated; empty when its path was longer)
// 1272 key generations (KeyGeneration x 32, indexed by generation % 32: generation, key uuid)
// 2040 reserved .. 4096
// Layout 2.0: frames of layout 2 (frame.hpp) and the stream-wide frame flags at 100 (checksums on/off).
// Layout 2.1: the settings at 576..592. A 2.0 file holds zeros there: PROVISIONED, no enhanced metrics,
// no throttling, so either library reads the other's files. Changes to 584..592 bump the shard table
// epoch (32) as well, so producers re-read them where they re-read the table (docs/FORMAT.md).
// Layout 2.2: stream encryption (1024..2039; encryption type at 96 = 1 for KMS, key id at 104 as given).
// Layout 2.3: the start time of each key generation. Layout 2.4: shared producers commit with a store of the
// length alone; the janitor announces each unblock in the shard entry's unblock epoch (shard_entry.hpp) and
// pads a claim with the claim's own length (frame.hpp), so padding lengths need not be multiples of 16.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kStreamMagic = 0x4d525453;  // "STRM" little-endian
inline constexpr uint16_t kStreamLayoutMajor = 2;
inline constexpr uint16_t kStreamLayoutMinor = 4;
inline constexpr uint64_t kStreamHeaderSize = 4096;
inline constexpr uint32_t kMaxStreamNameLength = 128;
inline constexpr uint32_t kMaxKeyIdLength = 151;
inline constexpr uint32_t kMaxKeyDirectoryLength = 239;
inline constexpr uint32_t kKeyGenerationSlots = 32;  // a frame names its key generation modulo this

enum class EncryptionType : uint32_t { kNone = 0, kKms = 1 };

// The master key of one key generation: data key = HKDF-SHA256(master key, stream uuid || generation).
struct KeyGeneration {
  uint32_t generation;  // 0: slot unused
  uint32_t started_seconds;  // CLOCK_REALTIME seconds of the start; 0: unknown (written by layout 2.2)
  uint8_t key_uuid[16];  // the KMS key id (key file <key dir>/<uuid>.key)
};
static_assert(sizeof(KeyGeneration) == 24);

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
  uint8_t reserved3[1024 - 592];
  // Stream encryption, written under stream.lock; the data path reads them (acquire on the generation) when
  // the shard-table epoch moves, which every start and stop bumps after writing them.
  std::atomic<uint32_t> key_generation;
  std::atomic<uint32_t> key_id_sequence;
  char key_directory[kMaxKeyDirectoryLength + 1];
  KeyGeneration key_generations[kKeyGenerationSlots];
  uint8_t reserved4[kStreamHeaderSize - 2040];
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
static_assert(offsetof(StreamHeader, key_generation) == 1024);
static_assert(offsetof(StreamHeader, key_id_sequence) == 1028);
static_assert(offsetof(StreamHeader, key_directory) == 1032);
static_assert(offsetof(StreamHeader, key_generations) == 1272);
static_assert(offsetof(StreamHeader, reserved4) == 2040);

}  // namespace shmstream::layout
