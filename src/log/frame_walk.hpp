// The one walk over a shard's frames that are not settled yet, shared by the janitor's unblocking and the
// exclusive producer's settling of frames dead producers left behind (docs/DESIGN.md §4.6). From a
// position it steps over committed and padding frames, across segments, and hands every frame that is
// reserved but not committed (below the segment's tail and the shard's end) to the caller, who waits for
// it, looks past it, or pads it (frame_unblock.hpp) and has it inspected again.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "log/frame_check.hpp"
#include "log/shard_log.hpp"

namespace shmstream::detail {

// A reserved frame that no producer has committed (yet).
struct UnsettledFrame {
  const MappedSegment& segment;
  uint64_t offset;        // in the segment
  uint64_t position;      // in the shard
  uint64_t state;         // its state word as loaded (acquire): negative length = claimed, 0 = not yet
  uint64_t reserved_end;  // offset in the segment up to which bytes are reserved
};

// What the caller does about an unsettled frame.
enum class UnsettledAction : uint8_t {
  kStop,       // leave it, end the walk here
  kSkip,       // a claimed frame has a known length: go on after it
  kLookAgain,  // it was padded (or committed): inspect the same position again
};

enum class WalkEnd : uint8_t {
  kIdle,          // reached bytes nobody reserved: everything before is settled
  kShardEnd,      // reached a closed shard's end
  kPastActive,    // the active segment (`full_segment`) is settled and full but the next one was never published
  kStopped,       // the caller said kStop
  kCorrupted,     // a frame failed its structural check (`problem`)
  kUnmappable,    // a segment could not be mapped (`status`; kResourceNotFound: trimmed meanwhile)
  kLimit,         // max_frames frames looked at
};

struct WalkResult {
  WalkEnd end = WalkEnd::kIdle;
  uint64_t position = 0;  // where the walk ended
  const char* problem = "";
  uint64_t state = 0;  // kCorrupted: the damaged frame's state word as loaded
  // kPastActive: the segment found settled and full, the active one when the walk looked. A producer may roll
  // it right after, so whoever rolls for the walk rolls this one, never the active segment read again (which
  // may be the next, just started: rolling that would leave its free end to no one, and readers stop there).
  uint64_t full_segment = 0;
  Status status;
};

template <class OnUnsettled>
WalkResult walk_unsettled_frames(const ShardLog& log, uint64_t from, uint64_t max_frames,
                                 OnUnsettled&& on_unsettled) noexcept {
  WalkResult result;
  uint64_t position = log.normalise(from);
  // acquire: a closed shard's end; reservations past it were refused (the producers re-routed).
  const uint64_t ending = log.entry().ending_sequence_number.load(std::memory_order_acquire);
  const uint64_t shard_end = ending == layout::kNoSequence ? UINT64_MAX : ending + 1;
  std::shared_ptr<MappedSegment> segment;
  result.end = WalkEnd::kLimit;
  for (uint64_t frames = 0; frames < max_frames; ++frames) {
    if (position >= shard_end) {
      result.end = WalkEnd::kShardEnd;
      break;
    }
    const uint64_t number = log.segment_number(position);
    if (const uint64_t active = log.active_segment(); number > active) {
      result.end = shard_end != UINT64_MAX ? WalkEnd::kShardEnd : WalkEnd::kPastActive;
      result.full_segment = active;
      break;
    }
    if (!segment || segment->number() != number) {
      if (Status status = log.map_segment(number, segment); !status) {
        result.end = WalkEnd::kUnmappable;
        result.status = status;
        break;
      }
    }
    const uint64_t offset = log.segment_offset(position);
    FrameInfo info;
    const FrameKind kind = inspect_frame(*segment, offset, log.frame_flags(), false, info);
    if (kind == FrameKind::kData || kind == FrameKind::kEncrypted || kind == FrameKind::kPad) {
      position = log.normalise(position + info.footprint);
      continue;
    }
    if (kind == FrameKind::kCorrupted) {
      result.end = WalkEnd::kCorrupted;
      result.problem = info.problem;
      // acquire: as in inspect_frame; the caller pads the damage by CAS from this exact value.
      result.state = segment->frame(offset).state.load(std::memory_order_acquire);
      break;
    }
    // acquire: if the producer commits now, the caller sees it and leaves the frame alone.
    const uint64_t state = segment->frame(offset).state.load(std::memory_order_acquire);
    // A claimed frame is reserved wherever it lies (a shared producer's claim is its reservation, and the
    // tail hint may lag it). A zero word is reserved only below the tail: what an exclusive producer
    // reserved with its tail store and died before claiming. acquire: the claims below the hint are seen.
    const uint64_t tail = segment->header().tail.load(std::memory_order_acquire) & ~layout::kTailClosedBit;
    const uint64_t reserved_end = std::min({tail, log.segment_size(), shard_end - segment->base_position()});
    if (layout::state_length(state) == 0 && offset >= reserved_end) {
      result.end = WalkEnd::kIdle;
      break;
    }
    const UnsettledAction action = on_unsettled(UnsettledFrame{*segment, offset, position, state, reserved_end});
    if (action == UnsettledAction::kStop) {
      result.end = WalkEnd::kStopped;
      break;
    }
    if (action == UnsettledAction::kSkip && layout::state_length(state) < 0) {
      position = log.normalise(position + layout::state_footprint(state));
    }
  }
  result.position = position;
  return result;
}

}  // namespace shmstream::detail
