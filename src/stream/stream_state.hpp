// The per-process view of one stream: its mapped stream.meta (header + shard table) and its segment cache.
// Shared by every Producer and ShardReader of a Stream handle; the data path reads it without locks.
#pragma once

#include <cstdint>
#include <string>

#include "log/mapped_region.hpp"
#include "log/segment_cache.hpp"
#include "log/segment_preparer.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/layout/stream_header.hpp"

namespace shmstream::detail {

class StreamState {
 public:
  StreamState(std::string root, std::string name, MappedRegion meta);

  const std::string& root() const noexcept { return root_; }
  const std::string& name() const noexcept { return name_; }
  const std::string& directory() const noexcept { return directory_; }
  std::string shard_directory(uint32_t shard_index) const;
  std::string lock_path() const { return directory_ + "/stream.lock"; }

  layout::StreamHeader& header() const noexcept { return *reinterpret_cast<layout::StreamHeader*>(meta_.data()); }
  layout::ShardEntry& shard(uint32_t index) const noexcept {
    return reinterpret_cast<layout::ShardEntry*>(meta_.data() + layout::kStreamHeaderSize)[index];
  }
  // Entries in use (open and closed). acquire: entries below it were fully written before the count grew.
  uint32_t shard_count() const noexcept { return header().shard_count.load(std::memory_order_acquire); }
  uint32_t shard_capacity() const noexcept { return header().shard_capacity; }
  uint64_t segment_size() const noexcept { return segment_size_; }
  uint64_t segment_number(uint64_t position) const noexcept { return position >> segment_shift_; }
  uint64_t segment_offset(uint64_t position) const noexcept { return position & (segment_size_ - 1); }
  uint64_t uuid_low() const noexcept { return uuid_low_; }
  SegmentIdentity segment_identity(uint32_t shard_index) const noexcept;

  // Segment `number` of a shard from the per-process cache (maps it on first use, at once). If the preparer
  // is making that segment, waits for it and takes its mapping rather than making a second one.
  Status segment(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out) noexcept;
  // Creates segment `number` of a shard unless it exists (at once, after the preparer as above).
  Status create_segment(uint32_t shard_index, uint64_t number) noexcept;
  // The same two for the preparer itself: paced, and never waiting for the preparer.
  Status segment_paced(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out) noexcept;
  Status create_segment_paced(uint32_t shard_index, uint64_t number) noexcept;
  SegmentCache& segment_cache() noexcept { return segments_; }
  // Mappings of segments no longer in use here, kept for when their files are recycled (kept_mappings.hpp).
  KeptMappings& kept_mappings() noexcept { return *kept_; }
  // Creates and maps segment `number` of a shard in the background (see SegmentPreparer). Never blocks.
  void prepare_segment(uint32_t shard_index, uint64_t number,
                       SegmentPreparer::Work work = SegmentPreparer::Work::kCreateAndMap) noexcept {
    preparer_.request(shard_index, number, work);
  }

  // Wakes readers blocked on the shard's or the stream's eventcount, if there are any (otherwise two loads).
  void wake_readers(layout::ShardEntry& shard) const noexcept;

 private:
  Status map_segment(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out,
                     Pacing pacing) noexcept;
  Status make_segment(uint32_t shard_index, uint64_t number, Pacing pacing) noexcept;

  std::string root_;
  std::string name_;
  std::string directory_;
  MappedRegion meta_;
  uint64_t segment_size_;
  uint32_t segment_shift_;
  uint64_t uuid_low_;
  uint64_t huge_page_bytes_ = 0;  // log/huge_pages.hpp: 0 unless segments here get them and are made of them
  // Before the cache: segments dropped while the cache is destroyed hand their mappings to it. Shared with
  // every MappedSegment, which may outlive this state (a batch's views).
  std::shared_ptr<KeptMappings> kept_ = std::make_shared<KeptMappings>();
  SegmentCache segments_;
  SegmentPreparer preparer_{*this};  // last: its thread uses everything above and stops first
};

}  // namespace shmstream::detail
