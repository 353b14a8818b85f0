#include "log/frame_unblock.hpp"

#include "log/frame_walk.hpp"
#include "wait/eventcount.hpp"

namespace shmstream::detail {

using layout::FrameType;

bool pad_claimed_frame(layout::ShardEntry& entry, const MappedSegment& segment, uint64_t offset,
                       uint64_t observed_state) noexcept {
  const int32_t length = layout::state_length(observed_state);
  if (length >= 0 || length == INT32_MIN) return false;
  if (layout::state_footprint(observed_state) > segment.size() - offset) {
    return false;  // corrupted claim: leave it for the operator
  }
  // Announce, then barrier, then pad (docs/DESIGN.md §4.1): a shared producer commits with a store and
  // then loads the epoch, so either its store is visible to the CAS below (which then fails) or its load
  // comes after the barrier and sees the raise (and it looks at its frame again).
  // seq_cst: a full barrier of its own, for producers without the membarrier (FrameCommit::kSharedSeqCst).
  entry.unblock_epoch.fetch_add(1, std::memory_order_seq_cst);
  barrier_against_plain_publishers();
  uint64_t expected = observed_state;
  // The padding keeps the claim's length, which is what a stalled producer's late commit stores: the word
  // stays padding whether its store lands before or after this CAS. seq_cst: publishes the padding to
  // readers and orders it before the eventcount's waiter-count load.
  return segment.frame(offset).state.compare_exchange_strong(
      expected, layout::make_state(-length, FrameType::kPad, 0, 0), std::memory_order_seq_cst,
      std::memory_order_relaxed);
}

uint64_t pad_unwritten_gap(const MappedSegment& segment, uint64_t offset, uint64_t limit) noexcept {
  uint64_t padded = 0;
  const uint64_t pad_slot = layout::make_state(layout::kFrameAlignment, FrameType::kPad, 0, 0);
  for (; offset < limit && offset + layout::kFrameAlignment <= segment.size(); offset += layout::kFrameAlignment) {
    uint64_t expected = 0;
    // seq_cst: as above; a failed CAS means a producer claimed this slot first: its frame starts here.
    if (!segment.frame(offset).state.compare_exchange_strong(expected, pad_slot, std::memory_order_seq_cst,
                                                             std::memory_order_relaxed)) {
      break;
    }
    ++padded;
  }
  return padded;
}

uint64_t pad_damaged_range(const ShardLog& log, uint64_t position, uint64_t observed_state) noexcept {
  std::shared_ptr<MappedSegment> segment;
  if (!log.map_segment(log.segment_number(position), segment)) return 0;
  const uint64_t offset = log.segment_offset(position);
  const uint64_t end =
      next_intact_frame(segment->bytes(0), log.segment_size(), segment->base_position(), offset, log.frame_flags());
  uint64_t expected = observed_state;
  // seq_cst: publishes the padding to readers and orders it before the eventcount's waiter-count load.
  if (!segment->frame(offset).state.compare_exchange_strong(
          expected, layout::make_state(static_cast<int32_t>(end - offset), FrameType::kPad, 0, 0),
          std::memory_order_seq_cst, std::memory_order_relaxed)) {
    return 0;
  }
  log.wake_readers();
  return end - offset;
}

uint64_t pad_from_first_free_frame(const MappedSegment& segment, uint64_t offset) noexcept {
  const uint64_t size = segment.size();
  while (offset < size) {
    uint64_t expected = 0;
    // seq_cst: publishes the padding (release) and orders it before the eventcount's waiter-count load.
    if (segment.frame(offset).state.compare_exchange_strong(
            expected, layout::make_state(static_cast<int32_t>(size - offset), FrameType::kPad, 0, 0),
            std::memory_order_seq_cst, std::memory_order_relaxed)) {
      break;
    }
    const uint64_t step = layout::state_footprint(expected);
    if (step == 0 || step > size - offset) break;
    offset += step;
  }
  return offset;
}

bool pad_unsettled_frame(const ShardLog& log, const UnsettledFrame& frame) noexcept {
  return layout::state_length(frame.state) < 0 ? pad_claimed_frame(log.entry(), frame.segment, frame.offset, frame.state)
                                               : pad_unwritten_gap(frame.segment, frame.offset, frame.reserved_end) > 0;
}

uint64_t settle_abandoned_frames(const ShardLog& log, uint64_t from) noexcept {
  uint64_t settled = 0;
  const WalkResult walk = walk_unsettled_frames(log, from, UINT64_MAX, [&](const UnsettledFrame& frame) {
    if (!pad_unsettled_frame(log, frame)) return UnsettledAction::kStop;
    ++settled;
    return UnsettledAction::kLookAgain;  // padding now
  });
  // The caller reserves from the tail with plain stores, so the tail must not lie below a frame: a shared
  // producer's tail is only a hint, which lags its claims when it died between the two.
  if (walk.end != WalkEnd::kIdle && walk.end != WalkEnd::kPastActive) return settled;
  const uint64_t active = log.active_segment();
  std::shared_ptr<MappedSegment> segment;
  if (!log.map_segment(active, segment)) return settled;
  const uint64_t end = walk.end == WalkEnd::kPastActive || log.segment_number(walk.position) > active
                           ? log.segment_size()
                           : log.segment_offset(walk.position);
  // relaxed: every other writer is dead; this thread is the tail's only writer from now on.
  const uint64_t tail = segment->header().tail.load(std::memory_order_relaxed);
  if ((tail & ~layout::kTailClosedBit) < end) {
    segment->header().tail.store(end | (tail & layout::kTailClosedBit), std::memory_order_relaxed);
  }
  return settled;
}

}  // namespace shmstream::detail
