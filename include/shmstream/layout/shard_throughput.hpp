// Throughput state: `<stream>/throughput.state`, made when a stream's AWS-limits mode is first switched on
// (docs/FORMAT.md "Throughput state"). A 64-byte header, then one 64-byte line per shard-table entry.
// Every participant maps the whole file read-write; only throttled puts and reads touch it.
//
//  header:
//    0 magic word (u32 magic, u16 major, u16 minor; stored last by the maker, release)
//    8 shard capacity (u32, as stream.meta's)   12 reserved .. 64
//  line of shard i (at 64 + 64 * i), each limit a GCRA "theoretical arrival time" in CLOCK_MONOTONIC ns:
//    0 write records TAT   8 write bytes TAT   16 read calls TAT   24 read bytes TAT
//   32 puts refused (WriteProvisionedThroughputExceeded)   40 reads refused (ReadProvisionedThroughputExceeded)
//   48 reserved .. 64
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kThroughputMagic = 0x55524854;  // "THRU" little-endian
inline constexpr uint16_t kThroughputLayoutMajor = 1;
inline constexpr uint16_t kThroughputLayoutMinor = 0;

constexpr uint64_t throughput_magic_word() noexcept {
  return uint64_t{kThroughputMagic} | (uint64_t{kThroughputLayoutMajor} << 32) |
         (uint64_t{kThroughputLayoutMinor} << 48);
}

struct alignas(64) ThroughputHeader {
  std::atomic<uint64_t> magic_word;
  uint32_t shard_capacity;
  uint8_t reserved[52];
};

struct alignas(64) ShardThroughput {
  std::atomic<int64_t> write_records_tat;
  std::atomic<int64_t> write_bytes_tat;
  std::atomic<int64_t> read_calls_tat;
  std::atomic<int64_t> read_bytes_tat;
  std::atomic<uint64_t> writes_refused;
  std::atomic<uint64_t> reads_refused;
  uint8_t reserved[16];
};

static_assert(sizeof(ThroughputHeader) == 64);
static_assert(sizeof(ShardThroughput) == 64);
static_assert(offsetof(ThroughputHeader, shard_capacity) == 8);
static_assert(offsetof(ShardThroughput, write_bytes_tat) == 8);
static_assert(offsetof(ShardThroughput, read_calls_tat) == 16);
static_assert(offsetof(ShardThroughput, read_bytes_tat) == 24);
static_assert(offsetof(ShardThroughput, writes_refused) == 32);
static_assert(offsetof(ShardThroughput, reads_refused) == 40);
static_assert(std::atomic<int64_t>::is_always_lock_free);

inline constexpr uint64_t throughput_file_size(uint32_t shard_capacity) noexcept {
  return sizeof(ThroughputHeader) + uint64_t{shard_capacity} * sizeof(ShardThroughput);
}

}  // namespace shmstream::layout
