// Trimming a shard's log from the front: advance the trim horizon (release), then unlink the segment files
// it passed. Used by producers when they roll (byte cap) and by the janitor (time window and byte cap).
#pragma once

#include <cstdint>

namespace shmstream::detail {

class ShardLog;

// Moves the shard's trim horizon to the start of segment `first_kept` (never past the active segment) and
// unlinks the segments before it. Concurrent trimmers agree through a CAS; returns segments removed here.
uint64_t trim_before_segment(const ShardLog& log, uint64_t first_kept) noexcept;

// Trims the oldest segments while the shard holds more than the stream's byte cap.
uint64_t enforce_byte_cap(const ShardLog& log, uint64_t active_segment) noexcept;

}  // namespace shmstream::detail
