#include "stream/stream_state.hpp"

#include <bit>
#include <cstring>

#include "log/huge_pages.hpp"
#include "wait/eventcount.hpp"

namespace shmstream::detail {

StreamState::StreamState(std::string root, std::string name, MappedRegion meta)
    : root_(std::move(root)), name_(std::move(name)), directory_(root_ + "/" + name_), meta_(std::move(meta)) {
  segment_size_ = header().segment_size;
  segment_shift_ = static_cast<uint32_t>(std::countr_zero(segment_size_));
  std::memcpy(&uuid_low_, header().uuid, sizeof uuid_low_);
  huge_page_bytes_ = huge_page_bytes_for(directory_, segment_size_);
}

std::string StreamState::shard_directory(uint32_t shard_index) const {
  return directory_ + "/shards/" + std::to_string(shard_index);
}

SegmentIdentity StreamState::segment_identity(uint32_t shard_index) const noexcept {
  return SegmentIdentity{segment_size_, shard_index, uuid_low_, header().file_mode, huge_page_bytes_};
}

Status StreamState::segment(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out) noexcept {
  preparer_.await_if_preparing(shard_index, number);
  return map_segment(shard_index, number, out, Pacing::kAtOnce);
}

Status StreamState::segment_paced(uint32_t shard_index, uint64_t number,
                                  std::shared_ptr<MappedSegment>& out) noexcept {
  return map_segment(shard_index, number, out, Pacing::kPaced);
}

Status StreamState::map_segment(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out,
                                Pacing pacing) noexcept try {
  return segments_.get(shard_directory(shard_index), number, segment_identity(shard_index), out, pacing, kept_);
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory");
}

Status StreamState::create_segment(uint32_t shard_index, uint64_t number) noexcept {
  preparer_.await_if_preparing(shard_index, number);  // then it exists
  return make_segment(shard_index, number, Pacing::kAtOnce);
}

Status StreamState::create_segment_paced(uint32_t shard_index, uint64_t number) noexcept {
  return make_segment(shard_index, number, Pacing::kPaced);
}

Status StreamState::make_segment(uint32_t shard_index, uint64_t number, Pacing pacing) noexcept try {
  return detail::create_segment(shard_directory(shard_index), number, segment_identity(shard_index), pacing,
                                kept_.get());
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory");
}

void StreamState::wake_readers(layout::ShardEntry& shard) const noexcept {
  notify_waiters(shard.futex_word, shard.waiter_count);
  notify_waiters(header().futex_word, header().waiter_count);
}

}  // namespace shmstream::detail
