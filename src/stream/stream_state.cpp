#include "stream/stream_state.hpp"

#include <cstring>

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
    : root_(std::move(root)), name_(std::move(name)), directory_(root_ + "/" + name_), meta_(std::move(meta)) {
  segments_ = std::make_unique<SegmentStore>(directory_, segments_identity(header()), shard_table());
  const uint32_t capacity = shard_capacity();
  logs_.reserve(capacity);
  for (uint32_t i = 0; i < capacity; ++i) logs_.emplace_back(*segments_, header(), shard(i), i);
}

}  // namespace shmstream::detail
