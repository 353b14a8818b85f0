#include "stream/shard_positions.hpp"

#include <algorithm>

#include "log/frame_check.hpp"
#include "stream/stream_state.hpp"

namespace shmstream::detail {

uint64_t normalise_position(const StreamState& stream, uint64_t position) noexcept {
  const uint64_t offset = stream.segment_offset(position);
  if (offset >= layout::kSegmentHeaderSize) return position;
  return position - offset + layout::kSegmentHeaderSize;  // at a boundary: first frame of that segment
}

Status latest_position(StreamState& stream, uint32_t shard_index, uint64_t& position) noexcept {
  // acquire: the published segment exists and can be mapped.
  const uint64_t number = layout::load_active_segment(stream.shard(shard_index));
  std::shared_ptr<MappedSegment> segment;
  if (Status status = stream.segment(shard_index, number, segment); !status) return status;
  // relaxed: any value between reservations is a valid LATEST; frames are validated when read.
  const uint64_t tail = segment->header().tail.load(std::memory_order_relaxed) & ~layout::kTailClosedBit;
  const uint64_t size = stream.segment_size();
  position = tail >= size ? (number + 1) * size + layout::kSegmentHeaderSize : number * size + tail;
  // acquire: a closed shard ends where the reshard closed it, whatever stale reservations did to the tail.
  const uint64_t ending = stream.shard(shard_index).ending_sequence_number.load(std::memory_order_acquire);
  if (ending != layout::kNoSequence) position = std::min(position, ending + 1);
  return Status::ok();
}

Status position_at_timestamp(StreamState& stream, uint32_t shard_index, int64_t timestamp_ns,
                             uint64_t& position) noexcept {
  layout::ShardEntry& entry = stream.shard(shard_index);
  // acquire: segments from the horizon's segment up to the active one exist (or are being trimmed).
  const uint64_t first = stream.segment_number(entry.trim_horizon.load(std::memory_order_acquire));
  const uint64_t active = layout::load_active_segment(entry);
  const std::string directory = stream.shard_directory(shard_index);
  // Newest segment that started before the timestamp: the answer is in it or after it.
  uint64_t start = first;
  for (uint64_t number = active + 1; number-- > first;) {
    layout::SegmentHeader header;
    if (!read_segment_header(directory, number, stream.segment_identity(shard_index), header)) continue;
    const int64_t first_arrival = header.first_arrival_ns.load(std::memory_order_relaxed);
    if (first_arrival != 0 && first_arrival < timestamp_ns) {
      start = number;
      break;
    }
  }
  for (uint64_t number = start; number <= active; ++number) {
    std::shared_ptr<MappedSegment> segment;
    if (!stream.segment(shard_index, number, segment)) continue;  // trimmed meanwhile
    uint64_t offset = layout::kSegmentHeaderSize;
    while (offset < stream.segment_size()) {
      FrameInfo info;
      const FrameKind kind = inspect_frame(*segment, offset, false, info);
      if (kind == FrameKind::kNotCommitted || kind == FrameKind::kCorrupted) {
        position = segment->base_position() + offset;
        return Status::ok();
      }
      if (kind == FrameKind::kData && info.arrival_ns >= timestamp_ns) {
        position = segment->base_position() + offset;
        return Status::ok();
      }
      offset += info.footprint;
    }
  }
  return latest_position(stream, shard_index, position);
}

}  // namespace shmstream::detail
