#include "segment/segment_store.hpp"

#include "common/file_names.hpp"
#include "segment/huge_pages.hpp"

namespace shmstream::detail {

SegmentStore::SegmentStore(std::string stream_directory, const StreamSegmentsIdentity& identity,
                           const layout::ShardEntry* shard_table)
    : directory_(std::move(stream_directory)), identity_(identity), shard_table_(shard_table) {
  huge_page_bytes_ = huge_page_bytes_for(directory_, identity_.segment_size);
}

std::string SegmentStore::shard_directory(uint32_t shard_index) const {
  return file_names::shard_directory(directory_, shard_index);
}

SegmentIdentity SegmentStore::identity(uint32_t shard_index) const noexcept {
  return SegmentIdentity{identity_.segment_size, shard_index, identity_.stream_uuid_low, identity_.file_mode,
                         huge_page_bytes_};
}

Status SegmentStore::map(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out) noexcept {
  preparer_.await_if_preparing(shard_index, number);
  return map_with(shard_index, number, out, Pacing::kAtOnce);
}

Status SegmentStore::map_paced(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out) noexcept {
  return map_with(shard_index, number, out, Pacing::kPaced);
}

Status SegmentStore::create(uint32_t shard_index, uint64_t number) noexcept {
  preparer_.await_if_preparing(shard_index, number);  // then it exists
  return create_with(shard_index, number, Pacing::kAtOnce);
}

Status SegmentStore::create_paced(uint32_t shard_index, uint64_t number) noexcept {
  return create_with(shard_index, number, Pacing::kPaced);
}

Status SegmentStore::map_with(uint32_t shard_index, uint64_t number, std::shared_ptr<MappedSegment>& out,
                              Pacing pacing) noexcept try {
  return cache_.map(shard_directory(shard_index), number, identity(shard_index), out, pacing, kept_);
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory");
}

Status SegmentStore::create_with(uint32_t shard_index, uint64_t number, Pacing pacing) noexcept try {
  return create_segment_file(shard_directory(shard_index), number, identity(shard_index), pacing, kept_.get());
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory");
}

}  // namespace shmstream::detail
