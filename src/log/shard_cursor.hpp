// Reads one shard's log from a position: walks frames by their state words, skips padding, crosses
// segments, returns zero-copy views (docs/DESIGN.md §4.3). Owned by one ShardReader (one thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/realtime_clock.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/record.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

class ShardLog;

class ShardCursor {
 public:
  ShardCursor(const ShardLog& log, uint64_t position, const ReaderOptions& options) noexcept;

  // Sets batch.shard_ended at a closed shard's end; which shards are its children is the caller's to say.
  Status read(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept;
  // True when read() would return a record, an error or the shard's end. `order` is seq_cst for the
  // eventcount's re-check, acquire otherwise.
  bool has_data(std::memory_order order) noexcept;

  uint64_t position() const noexcept { return position_; }
  void seek(uint64_t position) noexcept;
  const ShardLog& log() const noexcept { return *log_; }

 private:
  // Makes segment_ the segment holding position_. false: not published yet (or an error in `status`).
  bool map_current(Status& status) noexcept;

  bool at_shard_end() const noexcept;

  const ShardLog* log_;
  layout::ShardEntry* entry_;
  uint64_t position_;
  ReaderOptions options_;
  RealtimeClock clock_;  // MillisBehindLatest
  std::shared_ptr<MappedSegment> segment_;
  std::vector<std::shared_ptr<MappedSegment>> held_;  // segments the last batch's views point into
  bool next_prepared_ = false;                        // asked the preparer for the segment after segment_
};

}  // namespace shmstream::detail
