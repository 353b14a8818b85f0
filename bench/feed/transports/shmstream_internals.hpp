// Bench-only reach into a stream's segments (what-ifs of docs/PERFORMANCE.md): the library's public API has
// no call that makes or maps segments ahead of the log, so the feed harness does it here.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"

namespace feed {

using HeldSegments = std::vector<std::shared_ptr<shmstream::detail::MappedSegment>>;

// Maps segments 0..count-1 of a shard into this process's segment cache and holds them mapped.
inline HeldSegments map_segments_ahead(shmstream::Stream& stream, uint32_t shard, int count) {
  const shmstream::detail::ShardLog& log = shmstream::detail::StreamAccess::state(stream).log(shard);
  HeldSegments held;
  for (int n = 0; n < count; ++n) {
    std::shared_ptr<shmstream::detail::MappedSegment> segment;
    shmstream::throw_if_error(log.map_segment(static_cast<uint64_t>(n), segment), "map ahead");
    held.push_back(std::move(segment));
  }
  return held;
}

// Creates segments 1..count-1 of a shard (segment 0 exists with the stream).
inline void create_segments_ahead(shmstream::Stream& stream, uint32_t shard, int count) {
  const shmstream::detail::ShardLog& log = shmstream::detail::StreamAccess::state(stream).log(shard);
  for (int n = 1; n < count; ++n) {
    shmstream::throw_if_error(log.create_segment(static_cast<uint64_t>(n)), "prepare segment");
  }
}

}  // namespace feed
