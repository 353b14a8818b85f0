// Shard entry: one 256-byte row of the shard table in stream.meta, four cache lines split by who writes them.
//
//  line 0 (written by the control path only; read by routing):
//    0 hash start lo | 8 hash start hi | 16 hash end lo | 24 hash end hi |
//   32 shard index (u32) | 36 status (u32) | 40 parent index | 44 adjacent parent index |
//   48 starting sequence number | 56 ending sequence number (kNoSequence while open)
//  line 1 (segment roll, trim, reshard):
//   64 active segment number (bit 63: closed, no roll may publish a next segment) | 72 trim horizon (position) | 80 created ns | 88 closed ns |
//   96 child index 0 | 100 child index 1 | 104 reserved ..128
//  line 2 (eventcount for blocking readers; the unblock epoch, which producers load beside the waiter count):
//  128 futex word (u32) | 132 waiter count (u32) | 136 unblock epoch (u64; since 2.4) | ..192 reserved
//  line 3 (metrics, flushed in batches by producers and by the janitor):
//  192 incoming records | 200 incoming bytes | 208 put errors | 216 unblocked frames |
//  224 trimmed segments | 232 aborted puts | ..256 reserved
//
// Hash keys are unsigned 128-bit integers stored as two little-endian u64 halves.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kNoShard = 0xffffffffu;
inline constexpr uint64_t kNoSequence = ~uint64_t{0};

enum class ShardStatus : uint32_t { kUnused = 0, kOpen = 1, kClosed = 2, kExpired = 3 };

struct alignas(64) ShardEntry {
  // line 0
  uint64_t hash_start_lo;
  uint64_t hash_start_hi;
  uint64_t hash_end_lo;
  uint64_t hash_end_hi;
  uint32_t shard_index;
  std::atomic<uint32_t> status;  // ShardStatus
  uint32_t parent_index;
  uint32_t adjacent_parent_index;
  uint64_t starting_sequence_number;
  std::atomic<uint64_t> ending_sequence_number;
  // line 1
  std::atomic<uint64_t> active_segment;
  std::atomic<uint64_t> trim_horizon;
  int64_t created_ns;
  std::atomic<int64_t> closed_ns;
  uint32_t child_index[2];
  uint8_t reserved1[24];
  // line 2
  std::atomic<uint32_t> futex_word;
  std::atomic<uint32_t> waiter_count;
  // +1 by the janitor before it pads a claimed frame (docs/DESIGN.md §4.6): a shared producer that finds it
  // moved after its commit checks whether its frame became padding (§4.1).
  std::atomic<uint64_t> unblock_epoch;
  uint8_t reserved2[48];
  // line 3
  std::atomic<uint64_t> incoming_records;
  std::atomic<uint64_t> incoming_bytes;
  std::atomic<uint64_t> put_errors;
  std::atomic<uint64_t> unblocked_frames;
  std::atomic<uint64_t> trimmed_segments;
  std::atomic<uint64_t> aborted_puts;
  uint8_t reserved3[16];
};

static_assert(sizeof(ShardEntry) == 256);

inline constexpr uint64_t kActiveSegmentClosedBit = uint64_t{1} << 63;

// The active segment's number without the closed bit. acquire: a published number means its file exists.
inline uint64_t load_active_segment(const ShardEntry& entry) noexcept {
  return entry.active_segment.load(std::memory_order_acquire) & ~kActiveSegmentClosedBit;
}
static_assert(offsetof(ShardEntry, shard_index) == 32);
static_assert(offsetof(ShardEntry, status) == 36);
static_assert(offsetof(ShardEntry, parent_index) == 40);
static_assert(offsetof(ShardEntry, starting_sequence_number) == 48);
static_assert(offsetof(ShardEntry, ending_sequence_number) == 56);
static_assert(offsetof(ShardEntry, active_segment) == 64);
static_assert(offsetof(ShardEntry, trim_horizon) == 72);
static_assert(offsetof(ShardEntry, created_ns) == 80);
static_assert(offsetof(ShardEntry, closed_ns) == 88);
static_assert(offsetof(ShardEntry, child_index) == 96);
static_assert(offsetof(ShardEntry, futex_word) == 128);
static_assert(offsetof(ShardEntry, waiter_count) == 132);
static_assert(offsetof(ShardEntry, unblock_epoch) == 136);
static_assert(offsetof(ShardEntry, incoming_records) == 192);
static_assert(offsetof(ShardEntry, aborted_puts) == 232);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

}  // namespace shmstream::layout
