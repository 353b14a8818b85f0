// Per-process cache of mapped segments shared by every Producer and ShardReader of one Stream. Entered only
// when a cursor moves to another segment (cold path; a mutex is fine there). Holders keep a shared_ptr, so a
// mapping outlives its cache entry and even the file's unlink by the janitor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "segment/segment_file.hpp"

namespace shmstream::detail {

class SegmentCache {
 public:
  // Maps a segment not in the cache with map_segment_file (taking a mapping back from `kept` if it has one).
  Status map(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
             std::shared_ptr<MappedSegment>& out, Pacing pacing = Pacing::kAtOnce,
             const std::shared_ptr<KeptMappings>& kept = nullptr) noexcept;
  // Whether segment `number` of the shard is mapped here (tests and diagnostics).
  bool contains(uint32_t shard_index, uint64_t number) noexcept;
  // Drops the cache's own references to the shard's segments (holders keep theirs).
  void forget_shard(uint32_t shard_index) noexcept;

 private:
  static constexpr uint64_t kSegmentsKeptBehind = 2;
  std::mutex mutex_;
  std::map<std::pair<uint32_t, uint64_t>, std::shared_ptr<MappedSegment>> segments_;
};

}  // namespace shmstream::detail
