// What a read returns: zero-copy views of records and the batch that holds them, and how a reader reads.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace shmstream {

struct RecordView {
  uint64_t sequence_number;
  int64_t arrival_ns;
  std::string_view partition_key;
  std::string_view data;
  bool encrypted = false;  // stored sealed (Kinesis EncryptionType KMS); key and data are the plaintext
};

// The allocator of a batch's records: elements it makes without a value are left as they are (a RecordView
// is an aggregate of plain values, so the storage holds one as soon as it is written), so a read sizes the
// batch to its limit at no cost per record and writes each view once.
template <class T>
struct NoInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = NoInitAllocator<U>;
  };
  NoInitAllocator() noexcept = default;
  template <class U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U*) noexcept {
    static_assert(std::is_aggregate_v<U> && std::is_trivially_destructible_v<U>);
  }
  template <class U, class... Args>
  void construct(U* place, Args&&... args) {
    ::new (static_cast<void*>(place)) U{std::forward<Args>(args)...};
  }
};

using RecordViews = std::vector<RecordView, NoInitAllocator<RecordView>>;

struct RecordBatch {
  RecordViews records;                 // capacity kept between calls: no allocation in steady state
  uint64_t next_position = 0;          // where the next call continues
  int64_t millis_behind_latest = 0;
  bool shard_ended = false;            // closed shard read to its end: no next iterator
  uint64_t damaged_bytes_skipped = 0;  // with ReaderOptions::skip_damaged_frames: log bytes given up
  std::vector<uint32_t> child_shards;  // set with shard_ended
};

struct ReaderOptions {
  bool verify_checksums = true;
  // Below the trim horizon: false -> ExpiredIterator status; true -> continue at the trim horizon.
  bool skip_to_trim_horizon_when_expired = false;
  // When the frame at the cursor is being written, pause this many CPU `pause`s before looking again instead
  // of re-reading its cache line at once (which stalls the producer's commit). 0 (default) favours latency;
  // ~32 buys ~10 % throughput for a spinning consumer at ~+350 ns p50 (docs/PERFORMANCE.md).
  uint32_t claimed_frame_pauses = 0;
  // At a frame that fails its structural check or checksum: false -> CorruptedDataException (the cursor
  // stays there); true -> go on at the next intact frame, counting the bytes given up in
  // RecordBatch::damaged_bytes_skipped (docs/OPERATIONS.md "Damaged data").
  bool skip_damaged_frames = false;
};

// How a reader waits for records: spin on the CPU, yield it between looks, back off from spinning to
// yielding to short sleeps, or sleep on the shard's (or stream's) eventcount until a producer wakes it.
enum class WaitStrategy : uint8_t { kBusySpin, kYield, kBackoff, kBlock };

}  // namespace shmstream
