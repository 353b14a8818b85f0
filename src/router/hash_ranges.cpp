#include "router/hash_ranges.hpp"

namespace shmstream::detail {

std::vector<HashRange> even_split(uint32_t shard_count) {
  std::vector<HashRange> ranges;
  if (shard_count == 0) return ranges;
  // floor(2^128 / n) computed without 2^128: (2^128 - 1) / n differs only when n divides 2^128 (a power
  // of two), where the remainder of (2^128 - 1) / n is n - 1.
  HashKey step = kMaxHashKey / shard_count;
  if (kMaxHashKey % shard_count == shard_count - 1) step += 1;
  ranges.reserve(shard_count);
  for (uint32_t i = 0; i < shard_count; ++i) {
    const HashKey start = step * i;
    const HashKey end = (i + 1 == shard_count) ? kMaxHashKey : step * (i + 1) - 1;
    ranges.push_back({start, end});
  }
  return ranges;
}

}  // namespace shmstream::detail
