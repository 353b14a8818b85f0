// Positions derived from a shard's shared state: where the log ends now, and where a time falls.
#pragma once

#include <cstdint>

#include "shmstream/status.hpp"

namespace shmstream::detail {

class ShardLog;

// The position the next record of the shard will get (LATEST), as of now.
Status latest_position(const ShardLog& log, uint64_t& position) noexcept;

// First position whose committed DATA frame has arrival >= timestamp_ns, or the latest position if none.
Status position_at_timestamp(const ShardLog& log, int64_t timestamp_ns, uint64_t& position) noexcept;

}  // namespace shmstream::detail
