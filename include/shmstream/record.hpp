// What a read returns: zero-copy views of records and the batch that holds them, and how a reader reads.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace shmstream {

struct RecordView {
  uint64_t sequence_number;
  int64_t arrival_ns;
  std::string_view partition_key;
  std::string_view data;
};

struct RecordBatch {
  std::vector<RecordView> records;     // capacity kept between calls: no allocation in steady state
  uint64_t next_position = 0;          // where the next call continues
  int64_t millis_behind_latest = 0;
  bool shard_ended = false;            // closed shard read to its end: no next iterator
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
};

// How a reader waits for records: spin on the CPU, yield it between looks, back off from spinning to
// yielding to short sleeps, or sleep on the shard's (or stream's) eventcount until a producer wakes it.
enum class WaitStrategy : uint8_t { kBusySpin, kYield, kBackoff, kBlock };

}  // namespace shmstream
