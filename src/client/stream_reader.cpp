#include "shmstream/stream_reader.hpp"

#include <set>

#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "wait/await.hpp"

namespace shmstream {

StreamReader::StreamReader(std::shared_ptr<Stream> stream, IteratorType start, const ReaderOptions& options)
    : stream_(std::move(stream)), start_(start), options_(options) {
  if (start != IteratorType::kTrimHorizon && start != IteratorType::kLatest) {
    throw Error(StatusCode::kInvalidArgument, "StreamReader starts at TRIM_HORIZON or LATEST");
  }
  discover();
}

StreamReader::~StreamReader() = default;

void StreamReader::discover() {
  const detail::StreamState& state = detail::StreamAccess::state(*stream_);
  const uint32_t count = state.shard_count();
  for (uint32_t i = known_shard_count_; i < count; ++i) {
    // acquire: the state and the fields written before it.
    const auto shard_status = static_cast<layout::ShardStatus>(state.shard(i).status.load(std::memory_order_acquire));
    ShardProgress& progress = shards_[i];
    // Expired shards are gone; at LATEST, shards already closed when we start have nothing new.
    const bool started_closed = known_shard_count_ == 0 && start_ == IteratorType::kLatest &&
                                shard_status != layout::ShardStatus::kOpen;
    progress.finished = shard_status == layout::ShardStatus::kExpired || started_closed;
    progress.appeared_after_start = known_shard_count_ != 0;
  }
  known_shard_count_ = count;
}

bool StreamReader::readable(uint32_t index) const {
  const layout::ShardEntry& entry = detail::StreamAccess::state(*stream_).shard(index);
  for (uint32_t parent : {entry.parent_index, entry.adjacent_parent_index}) {
    if (parent == layout::kNoShard) continue;
    const auto found = shards_.find(parent);
    if (found != shards_.end() && !found->second.finished) return false;
  }
  return true;
}

StreamReader::ShardProgress* StreamReader::progress_for(uint32_t index) {
  ShardProgress& progress = shards_[index];
  if (!progress.reader) {
    const bool from_start = start_ == IteratorType::kTrimHorizon || progress.appeared_after_start;
    progress.reader.emplace(stream_, index, IteratorStart{from_start ? IteratorType::kTrimHorizon : IteratorType::kLatest},
                            options_);
  }
  return &progress;
}

Status StreamReader::read(std::vector<StreamRecord>& out, uint32_t limit_per_shard) {
  out.clear();
  if (detail::StreamAccess::state(*stream_).shard_count() != known_shard_count_) discover();
  Status first_error;
  std::set<uint32_t> read_this_call;
  // Passes repeat while shards end, so children (even chains of empty intermediate shards) are reached in
  // the same call. Each shard is read at most once per call: its batch holds the views we return.
  for (bool shard_ended = true; shard_ended;) {
    shard_ended = false;
    for (auto& [index, progress] : shards_) {
      if (progress.finished || !readable(index) || !read_this_call.insert(index).second) continue;
      ShardProgress* shard = progress_for(index);
      Status status = shard->reader->get_records(shard->batch, limit_per_shard);
      if (!status) {
        if (first_error.is_ok()) first_error = status;
        continue;
      }
      for (const RecordView& record : shard->batch.records) out.push_back({index, record});
      if (shard->batch.shard_ended) shard->finished = shard_ended = true;
    }
  }
  return first_error;
}

bool StreamReader::anything_to_read(std::memory_order order) {
  if (detail::StreamAccess::state(*stream_).shard_count() != known_shard_count_) return true;
  for (auto& [index, progress] : shards_) {
    if (progress.finished || !readable(index)) continue;
    ShardProgress* shard = progress_for(index);
    if (shard->reader->ready(order)) return true;
  }
  return false;
}

Status StreamReader::wait(std::chrono::nanoseconds timeout, WaitStrategy strategy) {
  layout::StreamHeader& header = detail::StreamAccess::state(*stream_).header();
  return detail::await(strategy, timeout, {header.futex_word, header.waiter_count},
                       [&](std::memory_order order) { return anything_to_read(order); });
}

std::vector<uint32_t> StreamReader::finished_shards() const {
  std::vector<uint32_t> finished;
  for (const auto& [index, progress] : shards_) {
    if (progress.finished) finished.push_back(index);
  }
  return finished;
}

}  // namespace shmstream
