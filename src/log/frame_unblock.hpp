// Turning frames of stalled or dead producers into padding, so readers move on (DESIGN.md section 5,
// Unblock). The producer's own CASes fail afterwards and it reports kAborted: never a silent loss.
#pragma once

#include <cstdint>

#include "log/segment_file.hpp"

namespace shmstream::detail {

// A claimed frame (negative length) observed with `observed_state` becomes a PAD of its footprint.
// false if the frame changed meanwhile (the producer committed after all).
bool pad_claimed_frame(const MappedSegment& segment, uint64_t offset, uint64_t observed_state) noexcept;

// Reserved but never claimed bytes: pads 32-byte slots from `offset` while their state word is 0, stopping
// at the first claimed/committed frame or at `limit` (the reserved tail). Slot by slot, so a producer that
// claims a later slot first keeps its frame, and one whose slot we padded fails its claim. Returns slots.
uint64_t pad_unwritten_gap(const MappedSegment& segment, uint64_t offset, uint64_t limit) noexcept;

// Pads every unfinished frame in [offset, limit) at once, without a timeout: only for a caller that knows
// every producer that reserved them is dead (an exclusive producer that has just taken the writers lock).
// Stops at a corrupted frame. Returns the frames padded.
uint64_t settle_abandoned_frames(const MappedSegment& segment, uint64_t offset, uint64_t limit) noexcept;

}  // namespace shmstream::detail
