// The default per-shard byte cap: a quarter of the filesystem holding the root, split across the stream's
// open shards, rounded down to whole segments, at least two segments. So the streams of one root cannot
// fill /dev/shm even with no janitor running (producers trim when they roll).
#pragma once

#include <sys/statvfs.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace shmstream::detail {

inline uint64_t default_retention_bytes(const std::string& root, uint64_t segment_size, uint64_t open_shards) {
  struct statvfs info {};
  uint64_t filesystem_bytes = uint64_t{1} << 40;
  if (::statvfs(root.c_str(), &info) == 0) filesystem_bytes = uint64_t{info.f_blocks} * info.f_frsize;
  const uint64_t per_shard = filesystem_bytes / 4 / std::max<uint64_t>(1, open_shards);
  return std::max(2 * segment_size, per_shard & ~(segment_size - 1));
}

}  // namespace shmstream::detail
