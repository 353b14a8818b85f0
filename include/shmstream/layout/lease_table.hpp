// Lease table: `<stream>/apps/<application>.leases`, the state of one consumer application (docs/APPLICATIONS.md).
// A 64-byte header, then one 128-byte row per shard index (row i describes shard i). Read and written with
// pread/pwrite under a flock of the file (LOCK_SH to read, LOCK_EX to change), never mapped: producers never
// touch it, and a torn write (power loss) is caught by the checksums below.
//
// Header:
//    0        8          12         16         24         28         32         40         48         56      64
//    +--------+----------+----------+----------+----------+----------+----------+----------+----------+--------+
//    | magic  | row size | row count| created  | initial  | reserved | initial  | epoch    | reserved | header |
//    | +vers. | (u32)    | (u32)    | ns       | position |          | timest.  | (u64)    |          | xxh3   |
//    +--------+----------+----------+----------+----------+----------+----------+----------+----------+--------+
//  magic word: u32 magic, u16 major, u16 minor. initial position: CheckpointKind of the application's
//  shards without a checkpoint (TRIM_HORIZON, LATEST or AT_TIMESTAMP, then the timestamp at 32).
//  epoch: bumped by every change. header xxh3: XXH3-64 of bytes 0..56.
//
// Row (shard index i at 64 + 128 * i):
//    0 shard index (u32)          4 flags (u32: kRowTracked)
//    8 parent index (u32)        12 adjacent parent index (u32; kNoShard when none)
//   16 lease counter (u64: bumped by every take, renewal and release)
//   24 owner pid (u32; 0 = no owner)  28 reserved (u32)
//   32 owner start time (u64: field 22 of /proc/<pid>/stat, so a reused pid is not taken for the owner)
//   40 last renewal, CLOCK_BOOTTIME ns (expiry)   48 last renewal, CLOCK_REALTIME ns (shown to people)
//   56 checkpoint kind (u32)     60 pending checkpoint kind (u32; 0 = none)
//   64 checkpoint value (u64: sequence number, or ns since the epoch for AT_TIMESTAMP)
//   72 pending checkpoint value (u64)
//   80 owner switches since checkpoint (u64)
//   88 owner worker id (char[32], NUL-padded; empty = no owner)
//  120 row xxh3 (u64: XXH3-64 of bytes 0..120)
#pragma once

#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kLeaseTableMagic = 0x41454c53;  // "SLEA" little-endian
inline constexpr uint16_t kLeaseTableLayoutMajor = 1;
inline constexpr uint16_t kLeaseTableLayoutMinor = 0;
inline constexpr uint64_t kLeaseTableHeaderSize = 64;
inline constexpr uint64_t kLeaseRowSize = 128;
inline constexpr uint32_t kMaxWorkerIdLength = 31;
inline constexpr uint32_t kLeaseRowTracked = 0x1;  // the application consumes this shard
inline constexpr uint32_t kNoLeaseParent = 0xffffffffu;

// What a checkpoint holds (KCL's ExtendedSequenceNumber: a sequence number or one of its sentinels).
enum class CheckpointKind : uint32_t {
  kNone = 0,  // only for the pending checkpoint: nothing pending
  kTrimHorizon = 1,
  kLatest = 2,
  kAtTimestamp = 3,
  kSequenceNumber = 4,
  kShardEnd = 5,
};
inline constexpr uint32_t kMaxCheckpointKind = 5;

constexpr uint64_t lease_table_magic_word() noexcept {
  return uint64_t{kLeaseTableMagic} | (uint64_t{kLeaseTableLayoutMajor} << 32) |
         (uint64_t{kLeaseTableLayoutMinor} << 48);
}

struct LeaseTableHeader {
  uint64_t magic_word;
  uint32_t row_size;
  uint32_t row_count;
  int64_t created_ns;
  uint32_t initial_position;  // CheckpointKind
  uint32_t reserved0;
  int64_t initial_timestamp_ns;
  uint64_t epoch;
  uint64_t reserved1;
  uint64_t checksum;
};

struct LeaseRow {
  uint32_t shard_index;
  uint32_t flags;
  uint32_t parent_index;
  uint32_t adjacent_parent_index;
  uint64_t lease_counter;
  uint32_t owner_pid;
  uint32_t reserved0;
  uint64_t owner_start_time;
  uint64_t renewed_boottime_ns;
  int64_t renewed_realtime_ns;
  uint32_t checkpoint_kind;          // CheckpointKind
  uint32_t pending_checkpoint_kind;  // CheckpointKind
  uint64_t checkpoint_value;
  uint64_t pending_checkpoint_value;
  uint64_t owner_switches_since_checkpoint;
  char owner_worker_id[kMaxWorkerIdLength + 1];
  uint64_t checksum;
};

static_assert(sizeof(LeaseTableHeader) == kLeaseTableHeaderSize);
static_assert(offsetof(LeaseTableHeader, row_size) == 8);
static_assert(offsetof(LeaseTableHeader, row_count) == 12);
static_assert(offsetof(LeaseTableHeader, created_ns) == 16);
static_assert(offsetof(LeaseTableHeader, initial_position) == 24);
static_assert(offsetof(LeaseTableHeader, initial_timestamp_ns) == 32);
static_assert(offsetof(LeaseTableHeader, epoch) == 40);
static_assert(offsetof(LeaseTableHeader, checksum) == 56);

static_assert(sizeof(LeaseRow) == kLeaseRowSize);
static_assert(offsetof(LeaseRow, flags) == 4);
static_assert(offsetof(LeaseRow, parent_index) == 8);
static_assert(offsetof(LeaseRow, adjacent_parent_index) == 12);
static_assert(offsetof(LeaseRow, lease_counter) == 16);
static_assert(offsetof(LeaseRow, owner_pid) == 24);
static_assert(offsetof(LeaseRow, owner_start_time) == 32);
static_assert(offsetof(LeaseRow, renewed_boottime_ns) == 40);
static_assert(offsetof(LeaseRow, renewed_realtime_ns) == 48);
static_assert(offsetof(LeaseRow, checkpoint_kind) == 56);
static_assert(offsetof(LeaseRow, pending_checkpoint_kind) == 60);
static_assert(offsetof(LeaseRow, checkpoint_value) == 64);
static_assert(offsetof(LeaseRow, pending_checkpoint_value) == 72);
static_assert(offsetof(LeaseRow, owner_switches_since_checkpoint) == 80);
static_assert(offsetof(LeaseRow, owner_worker_id) == 88);
static_assert(offsetof(LeaseRow, checksum) == 120);

}  // namespace shmstream::layout
