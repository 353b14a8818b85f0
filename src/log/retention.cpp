#include "log/retention.hpp"

#include "log/shard_log.hpp"

namespace shmstream::detail {

uint64_t trim_before_segment(const ShardLog& log, uint64_t first_kept) noexcept try {
  layout::ShardEntry& entry = log.entry();
  // acquire: never trim past a segment that is not yet published.
  const uint64_t active = log.active_segment();
  if (first_kept > active) first_kept = active;
  const uint64_t new_horizon = first_kept * log.segment_size() + layout::kSegmentHeaderSize;
  // acquire: we unlink files below the horizon we read, so we must see the trims that preceded it.
  uint64_t horizon = entry.trim_horizon.load(std::memory_order_acquire);
  while (horizon < new_horizon) {
    // acq_rel: release publishes the new horizon before any unlink below (readers check it first, then map).
    if (entry.trim_horizon.compare_exchange_weak(horizon, new_horizon, std::memory_order_acq_rel,
                                                 std::memory_order_acquire)) {
      break;
    }
  }
  if (horizon >= new_horizon) return 0;  // someone else trimmed at least as far
  const std::string directory = log.directory();
  uint64_t removed = 0;
  for (uint64_t number = log.segment_number(horizon); number < first_kept; ++number) {
    // The newest one is kept as the shard's spare: the next segment reuses its pages (segment_file.hpp).
    if (retire_segment_file(directory, number * log.segment_size(), number + 1 == first_kept)) ++removed;
  }
  log.kept_mappings().drop_unlinked();  // frees the memory of the files just unlinked, if we kept them
  // relaxed: monitoring counter.
  entry.trimmed_segments.fetch_add(removed, std::memory_order_relaxed);
  return removed;
} catch (...) {
  return 0;  // out of memory building a path: the janitor retries later
}

uint64_t enforce_byte_cap(const ShardLog& log, uint64_t active_segment) noexcept {
  const uint64_t segments_allowed = log.retention_bytes() / log.segment_size();
  if (segments_allowed == 0 || active_segment + 1 <= segments_allowed) return 0;
  const uint64_t first_kept = active_segment + 1 - segments_allowed;
  if (log.segment_number(log.trim_horizon()) >= first_kept) return 0;
  return trim_before_segment(log, first_kept);
}

}  // namespace shmstream::detail
