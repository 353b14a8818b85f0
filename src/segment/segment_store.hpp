// One stream's segments in this process: where their files live, what they must say about themselves,
// the per-process cache of mappings, the mappings kept for recycled files, and the background preparer.
// The two verbs: map (an existing segment, from the cache or anew) and create (a new file, unless it
// exists). Cold path: called when a producer or reader reaches a segment, never per record.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "segment/kept_mappings.hpp"
#include "segment/segment_cache.hpp"
#include "segment/segment_file.hpp"
#include "segment/segment_preparer.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

// What every segment of a stream shares.
struct StreamSegmentsIdentity {
  uint64_t segment_size = 0;
  uint64_t stream_uuid_low = 0;
  uint32_t file_mode = 0600;
};

class SegmentStore {
 public:
  // `shard_table`: the stream's shard entries (the preparer reads their active segment numbers).
  SegmentStore(std::string stream_directory, const StreamSegmentsIdentity& identity,
               const layout::ShardEntry* shard_table);
  SegmentStore(const SegmentStore&) = delete;
  SegmentStore& operator=(const SegmentStore&) = delete;
  SegmentPreparer& preparer() noexcept { return preparer_; }

  std::string shard_directory(uint32_t shard_index) const;
  SegmentIdentity identity(uint32_t shard_index) const noexcept;
  uint64_t segment_size() const noexcept { return identity_.segment_size; }

  // Segment `number` of a shard from the per-process cache (mapped on first use, at once). If the preparer
  // is making that segment, waits for it and takes its mapping rather than making a second one.
  Status map(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out) noexcept;
  // Creates segment `number` of a shard unless it exists (at once, after the preparer as above).
  Status create(uint32_t shard_index, uint64_t number) noexcept;
  // The same two for the preparer itself: paced, and never waiting for the preparer.
  Status map_paced(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out) noexcept;
  Status create_paced(uint32_t shard_index, uint64_t number) noexcept;
  // Has segment `number` of a shard created (kCreateAndMap) or only mapped (kMapOnly) in the background.
  // Never blocks (SegmentPreparer).
  void prepare(uint32_t shard_index, uint64_t number, SegmentPreparer::Work work) noexcept {
    preparer_.request(shard_index, number, work);
  }
  // acquire: a published active segment number means that segment's file exists.
  uint64_t active_segment(uint32_t shard_index) const noexcept {
    return layout::load_active_segment(shard_table_[shard_index]);
  }

  SegmentCache& cache() noexcept { return cache_; }
  // Mappings of segments no longer in use here, kept for when their files are recycled (kept_mappings.hpp).
  KeptMappings& kept_mappings() noexcept { return *kept_; }

 private:
  Status map_with(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out,
                  Pacing pacing) noexcept;
  Status create_with(uint32_t shard_index, uint64_t number, Pacing pacing) noexcept;

  std::string directory_;
  StreamSegmentsIdentity identity_;
  const layout::ShardEntry* shard_table_;
  uint64_t huge_page_bytes_ = 0;  // segment/huge_pages.hpp: 0 unless segments here get them
  // Before the cache: segments dropped while the cache is destroyed hand their mappings to it. Shared with
  // every MappedSegment, which may outlive this store (a batch's views).
  std::shared_ptr<KeptMappings> kept_ = std::make_shared<KeptMappings>();
  SegmentCache cache_;
  SegmentPreparer preparer_{*this};  // last: its thread uses everything above and stops first
};

}  // namespace shmstream::detail
