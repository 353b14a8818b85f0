#include "shmstream/reader.hpp"

#include <sched.h>
#include <time.h>

#include <array>
#include <thread>

#include "log/frame_check.hpp"
#include "log/shard_cursor.hpp"
#include "shmstream/stream.hpp"
#include "stream/shard_positions.hpp"
#include "stream/stream_state.hpp"
#include "wait/eventcount.hpp"

namespace shmstream {
namespace {

constexpr std::array<const char*, 5> kIteratorTypeNames = {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
                                                           "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP"};

int64_t monotonic_ns() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

[[noreturn]] void invalid_sequence_number(const detail::StreamState& state, uint32_t shard_index, uint64_t sequence,
                                          const char* why) {
  throw Error(StatusCode::kInvalidArgument, "StartingSequenceNumber " + std::to_string(sequence) +
                                                " used in GetShardIterator on shard " + shard_id_text(shard_index) +
                                                " in stream " + state.name() + " is invalid: " + why);
}

// The position of the committed DATA frame `sequence` (validated), or throws InvalidArgument.
uint64_t frame_after_validation(detail::StreamState& state, uint32_t shard_index, uint64_t sequence, bool after) {
  uint64_t latest = 0;
  throw_if_error(detail::latest_position(state, shard_index, latest), "cannot find the shard's end");
  const uint64_t offset = state.segment_offset(sequence);
  if (sequence >= latest || offset < layout::kSegmentHeaderSize || offset % layout::kFrameAlignment != 0) {
    invalid_sequence_number(state, shard_index, sequence, "it is not the sequence number of a record in this shard");
  }
  // acquire: pairs with the trimmer; below the horizon the reader reports ExpiredIterator on first read.
  if (sequence < state.shard(shard_index).trim_horizon.load(std::memory_order_acquire)) return sequence;
  std::shared_ptr<detail::MappedSegment> segment;
  throw_if_error(state.segment(shard_index, state.segment_number(sequence), segment), "cannot map segment");
  detail::FrameInfo info;
  if (detail::inspect_frame(*segment, offset, false, info) != detail::FrameKind::kData) {
    invalid_sequence_number(state, shard_index, sequence, "it is not the sequence number of a record in this shard");
  }
  return after ? detail::normalise_position(state, sequence + info.footprint) : sequence;
}

uint64_t start_position(detail::StreamState& state, uint32_t shard_index, const IteratorStart& start) {
  uint64_t position = 0;
  switch (start.type) {
    case IteratorType::kTrimHorizon:
      // acquire: pairs with the trimmer's release store.
      return state.shard(shard_index).trim_horizon.load(std::memory_order_acquire);
    case IteratorType::kLatest:
      throw_if_error(detail::latest_position(state, shard_index, position), "cannot find the shard's end");
      return position;
    case IteratorType::kAtSequenceNumber:
      return frame_after_validation(state, shard_index, start.sequence_number, false);
    case IteratorType::kAfterSequenceNumber:
      return frame_after_validation(state, shard_index, start.sequence_number, true);
    case IteratorType::kAtTimestamp:
      throw_if_error(detail::position_at_timestamp(state, shard_index, start.timestamp_ns, position),
                     "cannot search the shard by timestamp");
      return position;
  }
  throw Error(StatusCode::kInvalidArgument, "unknown ShardIteratorType");
}

}  // namespace

const char* iterator_type_name(IteratorType type) noexcept {
  return kIteratorTypeNames[static_cast<size_t>(type)];
}

bool parse_iterator_type(std::string_view name, IteratorType& type) noexcept {
  for (size_t i = 0; i < kIteratorTypeNames.size(); ++i) {
    if (name == kIteratorTypeNames[i]) {
      type = static_cast<IteratorType>(i);
      return true;
    }
  }
  return false;
}

namespace detail {
class ReaderCore {
 public:
  ReaderCore(std::shared_ptr<Stream> stream, uint32_t shard_index, uint64_t position, const ReaderOptions& options)
      : stream_(std::move(stream)), cursor_(stream_->state(), shard_index, position, options) {}
  std::shared_ptr<Stream> stream_;
  ShardCursor cursor_;
};
}  // namespace detail

ShardReader::ShardReader(std::shared_ptr<Stream> stream, uint32_t shard_index, const IteratorStart& start,
                         const ReaderOptions& options) {
  detail::StreamState& state = stream->state();
  // acquire: an EXPIRED shard's files are gone; Kinesis no longer knows such a shard.
  if (shard_index >= state.shard_count() ||
      state.shard(shard_index).state.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::ShardState::kExpired)) {
    throw Error(StatusCode::kResourceNotFound, "Shard " + shard_id_text(shard_index) + " in stream " + state.name() +
                                                   " under account 000000000000 does not exist");
  }
  const uint64_t position = start_position(state, shard_index, start);
  core_ = std::make_unique<detail::ReaderCore>(std::move(stream), shard_index, position, options);
}

ShardReader::~ShardReader() = default;
ShardReader::ShardReader(ShardReader&&) noexcept = default;
ShardReader& ShardReader::operator=(ShardReader&&) noexcept = default;

Status ShardReader::get_records(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept {
  return core_->cursor_.read(batch, limit, max_bytes);
}

bool ShardReader::has_data() noexcept { return core_->cursor_.has_data(std::memory_order_acquire); }
bool ShardReader::has_data_for_eventcount() noexcept { return core_->cursor_.has_data(std::memory_order_seq_cst); }

Status ShardReader::wait(WaitStrategy strategy, std::chrono::nanoseconds timeout) noexcept {
  detail::ShardCursor& cursor = core_->cursor_;
  const int64_t deadline = monotonic_ns() + timeout.count();
  uint32_t round = 0;
  for (;;) {
    if (cursor.has_data(std::memory_order_acquire)) return Status::ok();
    const int64_t now = (++round & 63) == 0 || strategy != WaitStrategy::kBusySpin ? monotonic_ns() : 0;
    if (now != 0 && now >= deadline) return Status(StatusCode::kTimeout, "no record arrived before the timeout");
    switch (strategy) {
      case WaitStrategy::kBusySpin:
        break;
      case WaitStrategy::kYield:
        sched_yield();
        break;
      case WaitStrategy::kBackoff:
        if (round < 64) break;
        if (round < 128) {
          sched_yield();
          break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(std::min<uint32_t>(1000, (round - 127) * 10)));
        break;
      case WaitStrategy::kBlock: {
        layout::ShardEntry& entry = cursor.entry();
        // acquire: read the word before re-checking, so a wake after our check changes it (no lost wake).
        const uint32_t key = entry.futex_word.load(std::memory_order_acquire);
        // seq_cst: pairs with the producer's seq_cst commit + waiter-count load (eventcount protocol).
        entry.waiter_count.fetch_add(1, std::memory_order_seq_cst);
        detail::barrier_against_plain_publishers();  // an exclusive producer's release commit (eventcount.hpp)
        if (!cursor.has_data(std::memory_order_seq_cst)) {
          detail::futex_wait(entry.futex_word, key, std::min<int64_t>(deadline - now, 100'000'000));
        }
        // relaxed: only the count matters to producers, not what we did before leaving.
        entry.waiter_count.fetch_sub(1, std::memory_order_relaxed);
        break;
      }
    }
  }
}

uint64_t ShardReader::position() const noexcept { return core_->cursor_.position(); }
Status ShardReader::seek(uint64_t position) noexcept {
  detail::StreamState& state = core_->stream_->state();
  const uint32_t shard_index = core_->cursor_.shard_index();
  const uint64_t normalised = detail::normalise_position(state, position);
  uint64_t latest = 0;
  if (Status status = detail::latest_position(state, shard_index, latest); !status) return status;
  if (normalised % layout::kFrameAlignment != 0 || normalised > detail::normalise_position(state, latest)) {
    return Status(StatusCode::kInvalidArgument, "position is not a frame boundary of this shard");
  }
  // acquire: pairs with the trimmer; below the horizon the next read reports ExpiredIterator instead.
  if (normalised >= state.shard(shard_index).trim_horizon.load(std::memory_order_acquire) && normalised < latest) {
    std::shared_ptr<detail::MappedSegment> segment;
    if (Status status = state.segment(shard_index, state.segment_number(normalised), segment); !status) return status;
    detail::FrameInfo info;
    if (detail::inspect_frame(*segment, state.segment_offset(normalised), false, info) == detail::FrameKind::kCorrupted) {
      return Status(StatusCode::kInvalidArgument, "position is not a frame boundary of this shard");
    }
  }
  core_->cursor_.seek(normalised);
  return Status::ok();
}
uint32_t ShardReader::shard_index() const noexcept { return core_->cursor_.shard_index(); }

}  // namespace shmstream
