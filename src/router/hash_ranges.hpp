// Hash-key ranges of shards: the AWS even split used by CreateStream and UpdateShardCount.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "shmstream/hash_key.hpp"

namespace shmstream::detail {

struct HashRange {
  HashKey start;
  HashKey end;  // inclusive
};

// shard i of n covers [i*h, (i+1)*h - 1] with h = floor(2^128 / n); the last one ends at 2^128 - 1.
std::vector<HashRange> even_split(uint32_t shard_count);

}  // namespace shmstream::detail
