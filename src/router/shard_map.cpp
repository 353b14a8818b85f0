#include "router/shard_map.hpp"

#include <algorithm>


namespace shmstream::detail {

HashKey shard_start(const layout::ShardEntry& entry) noexcept {
  return (HashKey{entry.hash_start_hi} << 64) | entry.hash_start_lo;
}

HashKey shard_end(const layout::ShardEntry& entry) noexcept {
  return (HashKey{entry.hash_end_hi} << 64) | entry.hash_end_lo;
}

uint64_t ShardMap::rebuild(const layout::StreamHeader& header, const layout::ShardEntry* shard_table) {
  // acquire: pairs with the reshard's release increment; the table we read below is at least that new.
  epoch_ = header.shard_table_epoch.load(std::memory_order_acquire);
  ranges_.clear();
  // acquire: entries below the count were fully written before it grew.
  const uint32_t count = header.shard_count.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < count; ++i) {
    const layout::ShardEntry& entry = shard_table[i];
    // acquire: an OPEN state is stored after the entry's ranges are written.
    if (entry.status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::ShardStatus::kOpen)) {
      ranges_.push_back({shard_start(entry), shard_end(entry), i});
    }
  }
  std::sort(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  only_shard_ = ranges_.size() == 1 ? ranges_.front().shard_index : layout::kNoShard;
  return epoch_;
}

uint32_t ShardMap::find(HashKey key) const noexcept {
  // Last range starting at or below key.
  auto after = std::upper_bound(ranges_.begin(), ranges_.end(), key,
                                [](HashKey k, const Range& range) { return k < range.start; });
  if (after == ranges_.begin()) return layout::kNoShard;
  const Range& range = *(after - 1);
  return key <= range.end ? range.shard_index : layout::kNoShard;
}

}  // namespace shmstream::detail
