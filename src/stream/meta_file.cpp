#include "stream/meta_file.hpp"

#include <cstring>

#include "router/hash_ranges.hpp"
#include "shmstream/layout/frame.hpp"
#include "shmstream/layout/segment_header.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/layout/stream_header.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::detail {

using layout::ShardEntry;
using layout::StreamHeader;

uint64_t meta_file_size(uint32_t shard_capacity) noexcept {
  return layout::kStreamHeaderSize + uint64_t{shard_capacity} * sizeof(ShardEntry);
}

void write_initial_meta(uint8_t* image, const MetaParameters& p) {
  auto& header = *reinterpret_cast<StreamHeader*>(image);
  // relaxed stores throughout: the image is private until the creator publishes the magic word (release).
  header.header_size = layout::kStreamHeaderSize;
  header.segment_size = p.segment_size;
  header.shard_capacity = p.shard_capacity;
  header.shard_count.store(p.shard_count, std::memory_order_relaxed);
  header.shard_table_epoch.store(1, std::memory_order_relaxed);
  header.creation_ns = p.creation_ns;
  header.retention_ns.store(p.retention_ns, std::memory_order_relaxed);
  header.retention_bytes.store(p.retention_bytes, std::memory_order_relaxed);
  header.unblock_timeout_ns.store(2'000'000'000, std::memory_order_relaxed);
  header.file_mode = p.file_mode;
  header.frame_flags = p.frame_flags;
  header.stream_mode.store(p.stream_mode, std::memory_order_relaxed);
  header.status.store(static_cast<uint32_t>(layout::StreamStatus::kActive), std::memory_order_relaxed);
  std::memcpy(header.uuid, p.uuid, sizeof header.uuid);
  std::memcpy(header.name, p.name.data(), p.name.size());

  auto* shards = reinterpret_cast<ShardEntry*>(image + layout::kStreamHeaderSize);
  const auto ranges = even_split(p.shard_count);
  for (uint32_t i = 0; i < p.shard_count; ++i) {
    ShardEntry& entry = shards[i];
    entry.hash_start_lo = static_cast<uint64_t>(ranges[i].start);
    entry.hash_start_hi = static_cast<uint64_t>(ranges[i].start >> 64);
    entry.hash_end_lo = static_cast<uint64_t>(ranges[i].end);
    entry.hash_end_hi = static_cast<uint64_t>(ranges[i].end >> 64);
    entry.shard_index = i;
    entry.status.store(static_cast<uint32_t>(layout::ShardStatus::kOpen), std::memory_order_relaxed);
    entry.parent_index = layout::kNoShard;
    entry.adjacent_parent_index = layout::kNoShard;
    entry.starting_sequence_number = layout::kSegmentHeaderSize;
    entry.ending_sequence_number.store(layout::kNoSequence, std::memory_order_relaxed);
    entry.active_segment.store(0, std::memory_order_relaxed);
    entry.trim_horizon.store(layout::kSegmentHeaderSize, std::memory_order_relaxed);
    entry.created_ns = p.creation_ns;
    entry.child_index[0] = layout::kNoShard;
    entry.child_index[1] = layout::kNoShard;
  }
}

Status validate_stream_meta(const uint8_t* image, size_t size) noexcept {
  if (size < layout::kStreamHeaderSize) return Status(StatusCode::kCorrupted, "stream.meta is shorter than its header");
  const auto& header = *reinterpret_cast<const StreamHeader*>(image);
  // acquire: pairs with the creator's release store of the magic word, after which the header is complete.
  const uint64_t magic_word = header.magic_word.load(std::memory_order_acquire);
  if ((magic_word & 0xffffffffu) != layout::kStreamMagic) {
    return Status(StatusCode::kCorrupted, "stream.meta has no stream magic (not a stream, or not initialised)");
  }
  if (((magic_word >> 32) & 0xffffu) != layout::kStreamLayoutMajor) {
    return Status(StatusCode::kIncompatibleLayout, "stream.meta layout major version differs from this library's");
  }
  if (header.header_size != layout::kStreamHeaderSize) return Status(StatusCode::kCorrupted, "stream.meta header size is wrong");
  const uint64_t segment_size = header.segment_size;
  if (segment_size < kMinSegmentSize || segment_size > kMaxSegmentSize || (segment_size & (segment_size - 1)) != 0) {
    return Status(StatusCode::kCorrupted, "stream.meta segment size is not a power of two in range");
  }
  const uint32_t capacity = header.shard_capacity;
  if (capacity == 0 || capacity > kShardTableCapacity || meta_file_size(capacity) != size) {
    return Status(StatusCode::kCorrupted, "stream.meta size does not match its shard capacity (truncated?)");
  }
  // relaxed: plain bounds checks on values that only grow under the stream lock.
  const uint32_t shard_count = header.shard_count.load(std::memory_order_relaxed);
  if (shard_count == 0 || shard_count > capacity) return Status(StatusCode::kCorrupted, "stream.meta shard count out of range");
  const size_t name_length = strnlen(header.name, sizeof header.name);
  if (name_length == sizeof header.name || !is_valid_stream_name({header.name, name_length})) {
    return Status(StatusCode::kCorrupted, "stream.meta holds an invalid stream name");
  }
  if (header.retention_ns.load(std::memory_order_relaxed) <= 0) {
    return Status(StatusCode::kCorrupted, "stream.meta retention is not positive");
  }
  if ((header.frame_flags & ~uint32_t{layout::kFlagChecksum}) != 0) {
    return Status(StatusCode::kCorrupted, "stream.meta frame flags name an unknown trailer");
  }
  // Layout 2.1 settings (zeros in a 2.0 file).
  if (header.stream_mode.load(std::memory_order_relaxed) > static_cast<uint32_t>(layout::StreamModeCode::kOnDemand) ||
      (header.shard_level_metrics.load(std::memory_order_relaxed) & ~kAllShardLevelMetrics) != 0 ||
      (header.throttle_flags.load(std::memory_order_relaxed) & ~layout::kKnownThrottleFlags) != 0 ||
      header.injected_throttle_ppm.load(std::memory_order_relaxed) > layout::kMaxInjectedThrottlePpm) {
    return Status(StatusCode::kCorrupted, "stream.meta holds an unknown stream mode, metric or throttling setting");
  }
  if (header.status.load(std::memory_order_relaxed) > static_cast<uint32_t>(layout::StreamStatus::kDeleting)) {
    return Status(StatusCode::kCorrupted, "stream.meta status is unknown");
  }
  const auto* shards = reinterpret_cast<const ShardEntry*>(image + layout::kStreamHeaderSize);
  for (uint32_t i = 0; i < shard_count; ++i) {
    const ShardEntry& entry = shards[i];
    const uint32_t state = entry.status.load(std::memory_order_relaxed);
    const HashKey start = (HashKey{entry.hash_start_hi} << 64) | entry.hash_start_lo;
    const HashKey end = (HashKey{entry.hash_end_hi} << 64) | entry.hash_end_lo;
    const bool parents_ok = (entry.parent_index == layout::kNoShard || entry.parent_index < i) &&
                            (entry.adjacent_parent_index == layout::kNoShard || entry.adjacent_parent_index < i);
    if (entry.shard_index != i || state == 0 || state > static_cast<uint32_t>(layout::ShardStatus::kExpired) ||
        start > end || !parents_ok) {
      return Status(StatusCode::kCorrupted, "stream.meta shard table entry is inconsistent");
    }
  }
  return Status::ok();
}

}  // namespace shmstream::detail
