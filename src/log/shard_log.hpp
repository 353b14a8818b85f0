// One shard's log as the log layer sees it: the shard's entry in the shard table (active segment, trim
// horizon, eventcount, counters), the geometry of its positions, and its segments. Everything in src/log
// (append, read, roll, trim, positions, unblock) works on a ShardLog; the stream layer owns one per shard.
//
// Position p of a shard lives in segment p / S at offset p % S (S = the stream's segment size, a power of
// two); offsets below the segment header hold no frame (docs/FORMAT.md).
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <string>

#include "segment/segment_store.hpp"
#include "shmstream/layout/segment_header.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/layout/stream_header.hpp"
#include "wait/eventcount.hpp"

namespace shmstream::detail {

class ShardLog {
 public:
  ShardLog(SegmentStore& segments, layout::StreamHeader& stream_header, layout::ShardEntry& entry,
           uint32_t shard_index) noexcept
      : segments_(&segments), stream_header_(&stream_header), entry_(&entry), index_(shard_index),
        segment_size_(segments.segment_size()),
        segment_shift_(static_cast<uint32_t>(std::countr_zero(segments.segment_size()))),
        frame_flags_(static_cast<uint8_t>(stream_header.frame_flags)) {}

  uint32_t index() const noexcept { return index_; }
  layout::ShardEntry& entry() const noexcept { return *entry_; }
  // The flags every DATA frame of the stream carries (layout::kFlagChecksum), fixed at creation.
  uint8_t frame_flags() const noexcept { return frame_flags_; }

  uint64_t segment_size() const noexcept { return segment_size_; }
  uint64_t segment_number(uint64_t position) const noexcept { return position >> segment_shift_; }
  uint64_t segment_offset(uint64_t position) const noexcept { return position & (segment_size_ - 1); }
  // A position at a segment's start (inside its header) moved to the segment's first frame.
  uint64_t normalise(uint64_t position) const noexcept {
    const uint64_t offset = segment_offset(position);
    return offset >= layout::kSegmentHeaderSize ? position : position - offset + layout::kSegmentHeaderSize;
  }

  // acquire: a published active segment number means that segment's file exists.
  uint64_t active_segment() const noexcept { return layout::load_active_segment(*entry_); }
  // acquire: pairs with the trimmer's release; positions at or above it are still mapped or mappable.
  uint64_t trim_horizon() const noexcept { return entry_->trim_horizon.load(std::memory_order_acquire); }

  Status map_segment(uint64_t number, std::shared_ptr<MappedSegment>& out) const noexcept {
    return segments_->map(index_, number, out);
  }
  Status create_segment(uint64_t number) const noexcept { return segments_->create(index_, number); }
  // Has the segment created and mapped (or only mapped) ahead, off the calling thread. Never blocks.
  void prepare_segment(uint64_t number,
                       SegmentPreparer::Work work = SegmentPreparer::Work::kCreateAndMap) const noexcept {
    segments_->prepare(index_, number, work);
  }
  std::string directory() const { return segments_->shard_directory(index_); }
  SegmentIdentity identity() const noexcept { return segments_->identity(index_); }
  KeptMappings& kept_mappings() const noexcept { return segments_->kept_mappings(); }

  // The stream's per-shard byte cap. relaxed: a setting; a stale value only trims one roll later.
  uint64_t retention_bytes() const noexcept {
    return stream_header_->retention_bytes.load(std::memory_order_relaxed);
  }

  // Wakes readers blocked on the shard's or the stream's eventcount, if there are any (otherwise two loads).
  void wake_readers() const noexcept { wake_readers(*entry_, *stream_header_); }
  static void wake_readers(layout::ShardEntry& entry, layout::StreamHeader& stream_header) noexcept {
    notify_waiters(entry.futex_word, entry.waiter_count);
    notify_waiters(stream_header.futex_word, stream_header.waiter_count);
  }
  layout::StreamHeader& stream_header() const noexcept { return *stream_header_; }

 private:
  SegmentStore* segments_;
  layout::StreamHeader* stream_header_;
  layout::ShardEntry* entry_;
  uint32_t index_;
  uint64_t segment_size_;
  uint32_t segment_shift_;
  uint8_t frame_flags_;
};

}  // namespace shmstream::detail
