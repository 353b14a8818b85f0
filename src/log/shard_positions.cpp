#include "log/shard_positions.hpp"

#include <algorithm>

#include "log/frame_check.hpp"
#include "log/shard_log.hpp"

namespace shmstream::detail {

Status latest_position(const ShardLog& log, uint64_t& position) noexcept {
  const uint64_t number = log.active_segment();
  std::shared_ptr<MappedSegment> segment;
  if (Status status = log.map_segment(number, segment); !status) return status;
  // relaxed: any value between reservations is a valid LATEST; frames are validated when read.
  const uint64_t tail = segment->header().tail.load(std::memory_order_relaxed) & ~layout::kTailClosedBit;
  const uint64_t size = log.segment_size();
  position = tail >= size ? (number + 1) * size + layout::kSegmentHeaderSize : number * size + tail;
  // acquire: a closed shard ends where the reshard closed it, whatever stale reservations did to the tail.
  const uint64_t ending = log.entry().ending_sequence_number.load(std::memory_order_acquire);
  if (ending != layout::kNoSequence) position = std::min(position, ending + 1);
  return Status::ok();
}

Status position_at_timestamp(const ShardLog& log, int64_t timestamp_ns, uint64_t& position) noexcept {
  // Segments from the horizon's segment up to the active one exist (or are being trimmed).
  const uint64_t first = log.segment_number(log.trim_horizon());
  const uint64_t active = log.active_segment();
  const std::string directory = log.directory();
  const SegmentIdentity identity = log.identity();
  // Newest segment that started before the timestamp: the answer is in it or after it.
  uint64_t start = first;
  for (uint64_t number = active + 1; number-- > first;) {
    layout::SegmentHeader header;
    if (!read_segment_file_header(directory, number, identity, header)) continue;
    const int64_t first_arrival = header.first_arrival_ns.load(std::memory_order_relaxed);
    if (first_arrival != 0 && first_arrival < timestamp_ns) {
      start = number;
      break;
    }
  }
  for (uint64_t number = start; number <= active; ++number) {
    std::shared_ptr<MappedSegment> segment;
    if (!log.map_segment(number, segment)) continue;  // trimmed meanwhile
    uint64_t offset = layout::kSegmentHeaderSize;
    while (offset < log.segment_size()) {
      FrameInfo info;
      const FrameKind kind = inspect_frame(*segment, offset, log.frame_flags(), false, info);
      if (kind == FrameKind::kNotCommitted || kind == FrameKind::kCorrupted) {
        position = segment->base_position() + offset;
        return Status::ok();
      }
      if ((kind == FrameKind::kData || kind == FrameKind::kEncrypted) && info.arrival_ns >= timestamp_ns) {
        position = segment->base_position() + offset;
        return Status::ok();
      }
      offset += info.footprint;
    }
  }
  return latest_position(log, position);
}

}  // namespace shmstream::detail
