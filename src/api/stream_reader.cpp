#include "shmstream/stream_reader.hpp"

#include <sched.h>

#include <set>

#include <thread>

#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "wait/eventcount.hpp"

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
  const detail::StreamState& state = stream_->state();
  const uint32_t count = state.shard_count();
  for (uint32_t i = known_shard_count_; i < count; ++i) {
    // acquire: the state and the fields written before it.
    const auto shard_state = static_cast<layout::ShardState>(state.shard(i).state.load(std::memory_order_acquire));
    ShardProgress& progress = shards_[i];
    // Expired shards are gone; at LATEST, shards already closed when we start have nothing new.
    const bool started_closed = known_shard_count_ == 0 && start_ == IteratorType::kLatest &&
                                shard_state != layout::ShardState::kOpen;
    progress.finished = shard_state == layout::ShardState::kExpired || started_closed;
    progress.appeared_after_start = known_shard_count_ != 0;
  }
  known_shard_count_ = count;
}

bool StreamReader::readable(uint32_t index) const {
  const layout::ShardEntry& entry = stream_->state().shard(index);
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
  if (stream_->state().shard_count() != known_shard_count_) discover();
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
  if (stream_->state().shard_count() != known_shard_count_) return true;
  for (auto& [index, progress] : shards_) {
    if (progress.finished || !readable(index)) continue;
    ShardProgress* shard = progress_for(index);
    if (order == std::memory_order_seq_cst ? shard->reader->has_data_for_eventcount() : shard->reader->has_data()) {
      return true;
    }
  }
  return false;
}

Status StreamReader::wait(std::chrono::nanoseconds timeout, WaitStrategy strategy) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  layout::StreamHeader& header = stream_->state().header();
  for (uint32_t round = 0;; ++round) {
    if (anything_to_read(std::memory_order_acquire)) return Status::ok();
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Status(StatusCode::kTimeout, "nothing arrived before the timeout");
    if (strategy == WaitStrategy::kBlock) {
      // acquire: read the word before re-checking, so a wake after our check changes it (no lost wake).
      const uint32_t key = header.futex_word.load(std::memory_order_acquire);
      // seq_cst: pairs with the producers' seq_cst commit + waiter-count load (eventcount protocol).
      header.waiter_count.fetch_add(1, std::memory_order_seq_cst);
      detail::barrier_against_plain_publishers();  // an exclusive producer's release commit (eventcount.hpp)
      if (!anything_to_read(std::memory_order_seq_cst)) {
        // Capped so shard-table changes (a reshard wakes only the parents' readers) are noticed promptly.
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count();
        detail::futex_wait(header.futex_word, key, std::min<int64_t>(left, 100'000'000));
      }
      header.waiter_count.fetch_sub(1, std::memory_order_relaxed);  // relaxed: only the count matters
    } else if (strategy == WaitStrategy::kBusySpin || round < 100) {
      if (strategy != WaitStrategy::kBusySpin) sched_yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
}

std::vector<uint32_t> StreamReader::finished_shards() const {
  std::vector<uint32_t> finished;
  for (const auto& [index, progress] : shards_) {
    if (progress.finished) finished.push_back(index);
  }
  return finished;
}

}  // namespace shmstream
