// Turning frames of stalled or dead producers into padding, so readers move on (docs/DESIGN.md §4.6). The
// producer's own CASes fail afterwards and it reports kAborted: never a silent loss.
#pragma once

#include <cstdint>

#include "segment/segment_file.hpp"
#include "shmstream/layout/shard_entry.hpp"

namespace shmstream::detail {

class ShardLog;
struct UnsettledFrame;

// A claimed frame (negative length) observed with `observed_state` becomes a PAD of the claim's length,
// announced first in `entry`'s unblock epoch. false if the frame changed meanwhile (the producer committed
// after all).
bool pad_claimed_frame(layout::ShardEntry& entry, const MappedSegment& segment, uint64_t offset,
                       uint64_t observed_state) noexcept;

// Reserved but never claimed bytes: pads 16-byte slots from `offset` while their state word is 0, stopping
// at the first claimed/committed frame or at `limit` (the reserved tail). Slot by slot, so a producer that
// claims a later slot first keeps its frame, and one whose slot we padded fails its claim. Returns slots.
uint64_t pad_unwritten_gap(const MappedSegment& segment, uint64_t offset, uint64_t limit) noexcept;

// The committed frame at shard position `position` fails its structural check and was seen so as
// `observed_state`: pads from it to the next intact frame (next_intact_frame), so readers get past damage
// that would otherwise stop them for good. Returns the bytes given up, 0 if the word changed meanwhile.
uint64_t pad_damaged_range(const ShardLog& log, uint64_t position, uint64_t observed_state) noexcept;

// Claims the first free frame at or after `offset` as padding to the segment's end, stepping over frames
// producers claimed or committed, as a reshard closing the shard does (docs/DESIGN.md §4.5). Returns that
// frame's offset: the shard's end within the segment (the segment size if it is full; a damaged frame in
// the way ends it there, and the janitor reports the damage).
uint64_t pad_from_first_free_frame(const MappedSegment& segment, uint64_t offset) noexcept;

// Pads an unsettled frame of `log` as it stands (claimed: its length; unclaimed: the gap up to the next frame).
bool pad_unsettled_frame(const ShardLog& log, const UnsettledFrame& frame) noexcept;

// Pads every unfinished frame of the shard from `from` on, without a timeout: only for a caller that knows
// every producer that reserved them is dead (an exclusive producer that has just taken the writers lock).
// Stops at a corrupted frame (the janitor reports it). Returns the frames padded.
uint64_t settle_abandoned_frames(const ShardLog& log, uint64_t from) noexcept;

}  // namespace shmstream::detail
