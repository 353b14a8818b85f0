// Moving a shard's active segment from `number` to `number + 1`: create the next file (if nobody has),
// publish it with a CAS, enforce the byte cap, wake readers. Idempotent: any producer that finds the
// segment full, and the janitor when a producer died mid-roll, may call it.
#pragma once

#include <cstdint>

#include "shmstream/status.hpp"

namespace shmstream::detail {

class ShardLog;

// `published`, when given, says whether this call's CAS made `number + 1` the active segment (false: it was
// already past `number`, or another caller won).
Status roll_segment(const ShardLog& log, uint64_t number, bool* published = nullptr) noexcept;

}  // namespace shmstream::detail
