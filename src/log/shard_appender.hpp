// Appends frames to one shard's log: one relaxed fetch_add reserves the bytes, a CAS claims the frame
// against the janitor, a seq_cst CAS commits it (docs/DESIGN.md §4.1). An exclusive producer (the only
// writer of its stream, see stream/writer_lock.hpp) reserves, claims and commits with plain stores instead.
// Owned by one Producer (one thread).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/realtime_clock.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

class ShardLog;

// One record of a PutRecords group, with what became of it.
struct AppendItem {
  std::string_view key;
  std::string_view data;
  uint64_t sequence_number = 0;
  Status status;
};

// How frames are claimed and committed.
enum class FrameCommit : uint8_t {
  kShared,           // CAS claim against the janitor, seq_cst CAS commit
  kExclusive,        // plain-store reservation, relaxed store claim, release store commit (waiters and
                     // reshards supply the barrier with membarrier: eventcount.hpp, stream/reshard.cpp)
  kExclusiveSeqCst,  // fetch_add reservation and a seq_cst commit, where the kernel lacks that barrier
};

class ShardAppender {
 public:
  // `clock` (arrival times) is the owning producer's, shared by its appenders.
  ShardAppender(const ShardLog& log, FrameCommit commit, RealtimeClock& clock) noexcept;
  ~ShardAppender();
  ShardAppender(const ShardAppender&) = delete;
  ShardAppender& operator=(const ShardAppender&) = delete;

  // kShardClosed: the shard was closed by a reshard before the bytes were reserved (nothing written).
  // kAborted: the janitor padded this frame because it stalled (nothing readable was written).
  Status append(std::string_view key, std::string_view data, uint8_t flags, uint64_t& sequence_number) noexcept;
  // Appends a group of records for this shard with ONE reservation (docs/DESIGN.md §4.1: PutRecords reserves each
  // shard's group with one fetch_add) when they fit a segment together, else one by one. Each item gets its
  // status; kShardClosed items were not written and must be re-routed by the caller.
  void append_group(std::span<AppendItem> items) noexcept;
  void flush_metrics() noexcept;

  // Bytes a record of this size occupies in the log.
  static uint64_t footprint(size_t key_length, size_t data_length) noexcept;

 private:
  static constexpr uint32_t kMetricsBatch = 1024;

  // Reserves `bytes` contiguous bytes in the active segment, padding and rolling past a full one.
  Status reserve(uint64_t bytes, uint64_t& offset, int64_t& arrival_ns) noexcept;
  // Claims, fills and commits one frame; the caller wakes readers.
  Status write_frame(uint64_t offset, std::string_view key, std::string_view data, uint8_t flags,
                     int64_t arrival_ns, uint64_t sequence_number) noexcept;
  // The exclusive producer's reservation: plain load + store of the tail. false: the shard was closed.
  bool reserve_exclusively(layout::SegmentHeader& header, uint64_t bytes, uint64_t& offset) noexcept;
  void write_padding(uint64_t offset) noexcept;
  void count_failure(const Status& status) noexcept;

  const ShardLog* log_;
  FrameCommit commit_;
  RealtimeClock* clock_;
  std::shared_ptr<MappedSegment> segment_;
  uint64_t pending_records_ = 0;
  uint64_t pending_bytes_ = 0;
};

}  // namespace shmstream::detail
