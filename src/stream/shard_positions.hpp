// Positions derived from a shard's shared state: where the log ends now, and where a time falls.
#pragma once

#include <cstdint>

#include "shmstream/status.hpp"

namespace shmstream::detail {

class StreamState;

// The position the next record of the shard will get (LATEST), as of now.
Status latest_position(StreamState& stream, uint32_t shard_index, uint64_t& position) noexcept;

// Normalises a position at or past a segment's end to the first frame of the next segment.
uint64_t normalise_position(const StreamState& stream, uint64_t position) noexcept;

// First position whose committed DATA frame has arrival >= timestamp_ns, or the latest position if none.
Status position_at_timestamp(StreamState& stream, uint32_t shard_index, int64_t timestamp_ns,
                             uint64_t& position) noexcept;

}  // namespace shmstream::detail
