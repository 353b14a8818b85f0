#include "stream/stream_state.hpp"

#include <cstring>

#include "common/file_names.hpp"
#include "stream/throughput_file.hpp"

namespace shmstream::detail {
namespace {

StreamSegmentsIdentity segments_identity(const layout::StreamHeader& header) noexcept {
  StreamSegmentsIdentity identity;
  identity.segment_size = header.segment_size;
  std::memcpy(&identity.stream_uuid_low, header.uuid, sizeof identity.stream_uuid_low);
  identity.file_mode = header.file_mode;
  return identity;
}

}  // namespace

StreamState::StreamState(std::string root, std::string name, MappedRegion meta)
    : root_(std::move(root)), name_(std::move(name)), directory_(file_names::stream_directory(root_, name_)), meta_(std::move(meta)) {
  segments_ = std::make_unique<SegmentStore>(directory_, segments_identity(header()), shard_table());
  const uint32_t capacity = shard_capacity();
  logs_.reserve(capacity);
  for (uint32_t i = 0; i < capacity; ++i) logs_.emplace_back(*segments_, header(), shard(i), i);
}

layout::ShardThroughput* StreamState::map_throughput(Status& status) noexcept {
  std::lock_guard<std::mutex> guard(throughput_mutex_);
  // relaxed: the mutex orders this against another thread's mapping.
  if (layout::ShardThroughput* lines = throughput_.load(std::memory_order_relaxed)) return lines;
  status = map_throughput_file(directory_, shard_capacity(), throughput_region_);
  if (!status) return nullptr;
  auto* lines = reinterpret_cast<layout::ShardThroughput*>(throughput_region_.data() + sizeof(layout::ThroughputHeader));
  // release: a thread that loads the pointer sees the mapping made.
  throughput_.store(lines, std::memory_order_release);
  return lines;
}

}  // namespace shmstream::detail
