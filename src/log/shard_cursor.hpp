// Reads one shard's log from a position: walks frames by their state words, skips padding, crosses
// segments, returns zero-copy views (DESIGN.md section 4, Read). Owned by one ShardReader (one thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/realtime_clock.hpp"
#include "log/segment_file.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/reader.hpp"

namespace shmstream::detail {

class StreamState;

class ShardCursor {
 public:
  ShardCursor(StreamState& stream, uint32_t shard_index, uint64_t position, const ReaderOptions& options) noexcept;

  Status read(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept;
  // True when read() would return a record, an error or the shard's end. `order` is seq_cst for the
  // eventcount's re-check, acquire otherwise.
  bool has_data(std::memory_order order) noexcept;

  uint64_t position() const noexcept { return position_; }
  void seek(uint64_t position) noexcept;
  uint32_t shard_index() const noexcept { return shard_index_; }
  layout::ShardEntry& entry() const noexcept { return *entry_; }

 private:
  // Makes segment_ the segment holding position_. false: not published yet (or an error in `status`).
  bool map_current(Status& status) noexcept;
  void step(uint64_t footprint) noexcept;

  bool at_shard_end() const noexcept;
  void fill_children(RecordBatch& batch) const noexcept;

  StreamState* stream_;
  layout::ShardEntry* entry_;
  uint32_t shard_index_;
  uint64_t position_;
  ReaderOptions options_;
  RealtimeClock clock_;  // MillisBehindLatest
  std::shared_ptr<MappedSegment> segment_;
  std::vector<std::shared_ptr<MappedSegment>> held_;  // segments the last batch's views point into
  bool next_prepared_ = false;                        // asked the preparer for the segment after segment_
};

}  // namespace shmstream::detail
