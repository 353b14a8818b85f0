#include "shmstream/reader.hpp"

#include <array>

#include "client/throughput_gate.hpp"
#include "common/aws_names.hpp"
#include "log/frame_check.hpp"
#include "log/shard_cursor.hpp"
#include "log/shard_positions.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "wait/await.hpp"

namespace shmstream {
namespace {

constexpr std::array<const char*, 5> kIteratorTypeNames = {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
                                                           "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP"};

[[noreturn]] void invalid_sequence_number(const detail::StreamState& state, uint32_t shard_index, uint64_t sequence) {
  throw Error(StatusCode::kInvalidArgument, "StartingSequenceNumber " + std::to_string(sequence) +
                                                " used in GetShardIterator on shard " + shard_id_text(shard_index) +
                                                " in stream " + state.name() +
                                                " is invalid: it is not the sequence number of a record in this shard");
}

// The position of the committed DATA frame `sequence` (validated), or throws InvalidArgument.
uint64_t frame_after_validation(detail::StreamState& state, uint32_t shard_index, uint64_t sequence, bool after) {
  const detail::ShardLog& log = state.log(shard_index);
  uint64_t latest = 0;
  throw_if_error(detail::latest_position(log, latest), "cannot find the shard's end");
  const uint64_t offset = log.segment_offset(sequence);
  if (sequence >= latest || offset < layout::kSegmentHeaderSize || offset % layout::kFrameAlignment != 0) {
    invalid_sequence_number(state, shard_index, sequence);
  }
  // Below the horizon the reader reports ExpiredIterator on its first read.
  if (sequence < log.trim_horizon()) return sequence;
  std::shared_ptr<detail::MappedSegment> segment;
  throw_if_error(log.map_segment(log.segment_number(sequence), segment), "cannot map segment");
  detail::FrameInfo info;
  const detail::FrameKind kind = detail::inspect_frame(*segment, offset, log.frame_flags(), false, info);
  if (kind != detail::FrameKind::kData && kind != detail::FrameKind::kEncrypted) {
    invalid_sequence_number(state, shard_index, sequence);
  }
  return after ? log.normalise(sequence + info.footprint) : sequence;
}

uint64_t start_position(detail::StreamState& state, uint32_t shard_index, const IteratorStart& start) {
  uint64_t position = 0;
  switch (start.type) {
    case IteratorType::kTrimHorizon:
      return state.log(shard_index).trim_horizon();
    case IteratorType::kLatest:
      throw_if_error(detail::latest_position(state.log(shard_index), position), "cannot find the shard's end");
      return position;
    case IteratorType::kAtSequenceNumber:
      return frame_after_validation(state, shard_index, start.sequence_number, false);
    case IteratorType::kAfterSequenceNumber:
      return frame_after_validation(state, shard_index, start.sequence_number, true);
    case IteratorType::kAtTimestamp:
      throw_if_error(detail::position_at_timestamp(state.log(shard_index), start.timestamp_ns, position),
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
      : stream_(std::move(stream)), state_(StreamAccess::state(*stream_)),
        throttle_flags_(&state_.header().throttle_flags), cursor_(state_.log(shard_index), position, options) {}

  // AWS-limits mode is on for the stream. relaxed: a setting; the mapping it leads to is ordered on its own.
  bool aws_limits() const noexcept {
    return (throttle_flags_->load(std::memory_order_relaxed) & layout::kThrottleAwsLimits) != 0;
  }

  // GetRecords under AWS-limits mode: admitted against the shard's 5 calls/s and 2 MiB/s, then charged with
  // the bytes it returned. A refused call returns no records and leaves the cursor where it was.
  [[gnu::noinline]] Status read_throttled(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept {
    Status status;
    layout::ShardThroughput* lines = state_.throughput(status);
    if (lines == nullptr) return status;
    layout::ShardThroughput& line = lines[cursor_.log().index()];
    const int64_t now = monotonic_ns();
    if (!admit_read(line, now)) {
      line.reads_refused.fetch_add(1, std::memory_order_relaxed);  // relaxed: ReadProvisionedThroughputExceeded
      batch.records.clear();
      batch.next_position = cursor_.position();
      batch.shard_ended = false;
      batch.child_shards.clear();
      batch.damaged_bytes_skipped = 0;
      return Status(StatusCode::kThroughputExceeded, "Rate exceeded for shard");
    }
    status = cursor_.read(batch, limit, max_bytes);
    uint64_t bytes = 0;
    for (const RecordView& record : batch.records) bytes += record.partition_key.size() + record.data.size();
    charge_read(line, now, bytes);
    return status;
  }

  // A closed shard read to its end: its children, as ListShards would name them.
  [[gnu::noinline]] void fill_children(RecordBatch& batch) const noexcept try {
    const uint32_t shard_index = cursor_.log().index();
    const uint32_t count = state_.shard_count();
    for (uint32_t i = shard_index + 1; i < count; ++i) {
      const layout::ShardEntry& other = state_.shard(i);
      if (other.parent_index == shard_index || other.adjacent_parent_index == shard_index) {
        batch.child_shards.push_back(i);
      }
    }
  } catch (...) {
    // out of memory: the batch still says shard_ended; ListShards names the children
  }

  std::shared_ptr<Stream> stream_;
  StreamState& state_;
  const std::atomic<uint32_t>* throttle_flags_;  // the stream header's, read once per get_records
  ShardCursor cursor_;
};
}  // namespace detail

ShardReader::ShardReader(std::shared_ptr<Stream> stream, uint32_t shard_index, const IteratorStart& start,
                         const ReaderOptions& options) {
  detail::StreamState& state = detail::StreamAccess::state(*stream);
  // acquire: an EXPIRED shard's files are gone; Kinesis no longer knows such a shard.
  if (shard_index >= state.shard_count() ||
      state.shard(shard_index).status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::ShardStatus::kExpired)) {
    throw Error(StatusCode::kResourceNotFound,
                "Shard " + shard_id_text(shard_index) + detail::aws::in_stream(state.name()) + " does not exist");
  }
  const uint64_t position = start_position(state, shard_index, start);
  core_ = std::make_unique<detail::ReaderCore>(std::move(stream), shard_index, position, options);
}

ShardReader::~ShardReader() = default;
ShardReader::ShardReader(ShardReader&&) noexcept = default;
ShardReader& ShardReader::operator=(ShardReader&&) noexcept = default;

Status ShardReader::get_records(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept {
  Status status = core_->aws_limits() ? core_->read_throttled(batch, limit, max_bytes)
                                      : core_->cursor_.read(batch, limit, max_bytes);
  if (batch.shard_ended) [[unlikely]] core_->fill_children(batch);  // out of line: the poll saves no registers
  return status;
}

bool ShardReader::has_data() noexcept { return core_->cursor_.has_data(std::memory_order_acquire); }

Status ShardReader::wait(WaitStrategy strategy, std::chrono::nanoseconds timeout) noexcept {
  detail::ShardCursor& cursor = core_->cursor_;
  layout::ShardEntry& entry = cursor.log().entry();
  return detail::await(strategy, timeout, {entry.futex_word, entry.waiter_count},
                       [&](std::memory_order order) noexcept { return cursor.has_data(order); });
}

bool ShardReader::ready(std::memory_order order) noexcept { return core_->cursor_.has_data(order); }

uint64_t ShardReader::position() const noexcept { return core_->cursor_.position(); }
Status ShardReader::seek(uint64_t position) noexcept {
  const detail::ShardLog& log = core_->cursor_.log();
  const uint64_t normalised = log.normalise(position);
  uint64_t latest = 0;
  if (Status status = detail::latest_position(log, latest); !status) return status;
  if (normalised % layout::kFrameAlignment != 0 || normalised > log.normalise(latest)) {
    return Status(StatusCode::kInvalidArgument, "position is not a frame boundary of this shard");
  }
  // Below the horizon the next read reports ExpiredIterator instead.
  if (normalised >= log.trim_horizon() && normalised < latest) {
    std::shared_ptr<detail::MappedSegment> segment;
    if (Status status = log.map_segment(log.segment_number(normalised), segment); !status) return status;
    detail::FrameInfo info;
    // An aligned position inside the log whose frame fails its structural check: the data there is
    // damaged (a position from a token or an earlier batch was a frame boundary when it was handed out).
    if (detail::inspect_frame(*segment, log.segment_offset(normalised), log.frame_flags(), false, info) ==
        detail::FrameKind::kCorrupted) {
      return Status(StatusCode::kCorrupted, info.problem);
    }
  }
  core_->cursor_.seek(normalised);
  return Status::ok();
}
uint32_t ShardReader::shard_index() const noexcept { return core_->cursor_.log().index(); }

}  // namespace shmstream
