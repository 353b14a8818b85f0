#include "segment/segment_cache.hpp"

namespace shmstream::detail {

Status SegmentCache::map(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                         std::shared_ptr<MappedSegment>& out, Pacing pacing,
                         const std::shared_ptr<KeptMappings>& kept) noexcept try {
  const auto key = std::make_pair(identity.shard_index, number);
  {
    std::lock_guard lock(mutex_);
    if (auto found = segments_.find(key); found != segments_.end()) {
      out = found->second;
      return Status::ok();
    }
  }
  // Map outside the lock: MAP_POPULATE of a large segment takes milliseconds.
  std::shared_ptr<MappedSegment> segment;
  if (Status status = map_segment_file(shard_directory, number, identity, segment, pacing, kept); !status) return status;
  std::lock_guard lock(mutex_);
  auto [slot, inserted] = segments_.emplace(key, segment);
  out = slot->second;  // a racing thread may have mapped it first: everyone shares one mapping
  if (inserted && number > kSegmentsKeptBehind) {
    segments_.erase(segments_.lower_bound({identity.shard_index, 0}),
                    segments_.lower_bound({identity.shard_index, number - kSegmentsKeptBehind}));
  }
  return Status::ok();
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory in the segment cache");
}

bool SegmentCache::contains(uint32_t shard_index, uint64_t number) noexcept {
  std::lock_guard lock(mutex_);
  return segments_.count({shard_index, number}) != 0;
}

void SegmentCache::forget_shard(uint32_t shard_index) noexcept {
  std::lock_guard lock(mutex_);
  segments_.erase(segments_.lower_bound({shard_index, 0}), segments_.lower_bound({shard_index + 1, 0}));
}

}  // namespace shmstream::detail
