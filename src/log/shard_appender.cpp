#include "log/shard_appender.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "log/frame_check.hpp"
#include "log/segment_roll.hpp"
#include "log/shard_log.hpp"

namespace shmstream::detail {

using layout::FrameType;
using layout::kFrameHeaderSize;
using layout::kSegmentHeaderSize;

ShardAppender::ShardAppender(const ShardLog& log, FrameCommit commit, RealtimeClock& clock) noexcept
    : log_(&log), commit_(commit), clock_(&clock) {}

ShardAppender::~ShardAppender() {
  flush_metrics();
}

uint64_t ShardAppender::footprint(size_t key_length, size_t data_length) noexcept {
  return layout::align_frame(kFrameHeaderSize + key_length + data_length);
}

Status ShardAppender::reserve(uint64_t bytes, uint64_t& offset, int64_t& arrival_ns) noexcept {
  const uint64_t segment_size = log_->segment_size();
  for (;;) {
    // acquire: a published segment number means that segment's file is complete (see roll_segment).
    const uint64_t number = log_->active_segment();
    if (!segment_ || segment_->number() != number) {
      if (Status status = log_->map_segment(number, segment_); !status) {
        count_failure(status);
        return status;
      }
      if (!segment_->writable()) return Status(StatusCode::kAccessDenied, "segment file is read-only for this process");
    }
    layout::SegmentHeader& header = segment_->header();
    arrival_ns = clock_->now_ns();
    bool closed = false;
    if (commit_ == FrameCommit::kExclusive) {
      closed = !reserve_exclusively(header, bytes, offset);
    } else {
      // relaxed: the reservation only hands out disjoint byte ranges; frames are published by their state word.
      offset = header.tail.fetch_add(bytes, std::memory_order_relaxed);
      closed = (offset & layout::kTailClosedBit) != 0;
    }
    if (closed) {
      // acquire: the closed bit was set by a release RMW after the reshard bumped the shard-table epoch, so
      // the caller's re-route sees the new table (and the child) on its first try.
      std::atomic_thread_fence(std::memory_order_acquire);
      return Status(StatusCode::kShardClosed, "shard was closed by a reshard");
    }
    if (offset + bytes <= segment_size) {
      if (offset == kSegmentHeaderSize) {
        header.first_arrival_ns.store(arrival_ns, std::memory_order_relaxed);  // relaxed: a search hint only
      }
      const uint64_t ask_at = SegmentPreparer::request_offset(segment_size);
      if (offset < ask_at && offset + bytes >= ask_at) {
        // Once per segment: the next one is created and mapped ahead, off this thread, so the roll is a CAS.
        log_->prepare_segment(number + 1);
      }
      return Status::ok();
    }
    if (offset < segment_size) {
      // This reservation crossed the end: pad the rest, seal, and roll for everyone.
      write_padding(offset);
      header.last_arrival_ns.store(arrival_ns, std::memory_order_relaxed);  // relaxed: retention hint
      header.flags.fetch_or(layout::kSegmentFlagSealed, std::memory_order_release);
      flush_metrics();
    }
    if (Status status = roll_segment(*log_, number); !status) {
      count_failure(status);
      return status;
    }
  }
}

bool ShardAppender::reserve_exclusively(layout::SegmentHeader& header, uint64_t bytes, uint64_t& offset) noexcept {
  // relaxed load + store instead of a locked fetch_add: we are the tail's only writer. A locked instruction
  // would also wait for our previous frame's lines, which a polling consumer keeps taking back (~100 ns).
  offset = header.tail.load(std::memory_order_relaxed);
  if ((offset & layout::kTailClosedBit) != 0) return false;
  header.tail.store(offset + bytes, std::memory_order_relaxed);
  // The one other writer is a reshard closing the shard: it sets the closed bit in the active-segment word,
  // runs membarrier(GLOBAL_EXPEDITED), then reads the tail as the shard's end (stream/reshard.cpp). The fence
  // keeps the compiler from hoisting this load above our store; membarrier orders them on the CPU. So
  // either we see the bit, or the reshard sees our store and the frame lies below the end.
  std::atomic_signal_fence(std::memory_order_seq_cst);
  // relaxed: ordered by the fence and the reshard's membarrier as above.
  if ((log_->entry().active_segment.load(std::memory_order_relaxed) & layout::kActiveSegmentClosedBit) == 0) return true;
  // Closed: our bytes may lie below the end the reshard computed. Readers must get past them: pad them.
  if (offset < log_->segment_size()) {
    const uint64_t length = std::min(bytes, log_->segment_size() - offset);
    // release: publishes the padding; nobody else writes this frame (exclusive producer, no janitor).
    segment_->frame(offset).state.store(layout::make_state(static_cast<int32_t>(length), FrameType::kPad, 0, 0),
                                        std::memory_order_release);
    log_->wake_readers();
  }
  return false;
}

Status ShardAppender::append(std::string_view key, std::string_view data, uint8_t flags,
                             uint64_t& sequence_number) noexcept {
  const uint64_t frame_bytes = footprint(key.size(), data.size());
  if (frame_bytes > log_->segment_size() - kSegmentHeaderSize) {
    return Status(StatusCode::kInvalidArgument, "record does not fit in one segment of this stream");
  }
  uint64_t offset = 0;
  int64_t arrival_ns = 0;
  if (Status status = reserve(frame_bytes, offset, arrival_ns); !status) return status;
  sequence_number = segment_->base_position() + offset;
  Status status = write_frame(offset, key, data, flags, arrival_ns, sequence_number);
  log_->wake_readers();
  if (!status) {
    count_failure(status);
    return status;
  }
  pending_bytes_ += key.size() + data.size();
  if (++pending_records_ >= kMetricsBatch) flush_metrics();
  return status;
}

void ShardAppender::append_group(std::span<AppendItem> items) noexcept {
  uint64_t total = 0;
  for (const AppendItem& item : items) total += footprint(item.key.size(), item.data.size());
  if (items.size() == 1 || total > log_->segment_size() - kSegmentHeaderSize) {
    // One by one: a single record, or a group larger than a segment. After a close, the rest re-route.
    bool closed = false;
    for (AppendItem& item : items) {
      item.status = closed ? Status(StatusCode::kShardClosed, "shard was closed by a reshard")
                           : append(item.key, item.data, 0, item.sequence_number);
      closed = item.status.code() == StatusCode::kShardClosed;
    }
    return;
  }
  uint64_t offset = 0;
  int64_t arrival_ns = 0;
  if (Status status = reserve(total, offset, arrival_ns); !status) {
    for (AppendItem& item : items) item.status = status;
    return;
  }
  for (AppendItem& item : items) {
    item.sequence_number = segment_->base_position() + offset;
    item.status = write_frame(offset, item.key, item.data, 0, arrival_ns, item.sequence_number);
    if (item.status) {
      pending_bytes_ += item.key.size() + item.data.size();
      ++pending_records_;
    } else {
      count_failure(item.status);
    }
    offset += footprint(item.key.size(), item.data.size());
  }
  log_->wake_readers();  // once for the whole group
  if (pending_records_ >= kMetricsBatch) flush_metrics();
}

Status ShardAppender::write_frame(uint64_t offset, std::string_view key, std::string_view data, uint8_t flags,
                                  int64_t arrival_ns, uint64_t sequence_number) noexcept {
  layout::FrameHeader& frame = segment_->frame(offset);
  const auto length = static_cast<int32_t>(kFrameHeaderSize + key.size() + data.size());
  const auto key_length = static_cast<uint16_t>(key.size());
  uint64_t expected = 0;
  const uint64_t claimed = layout::make_state(-length, FrameType::kData, flags, key_length);
  if (commit_ != FrameCommit::kShared) {
    // relaxed: no janitor touches this stream's frames while we live; the claim only tells one that comes
    // after our death how long the frame is. The signal fence keeps the compiler from sinking the claim
    // below the payload stores, so a death mid-write never leaves payload bytes behind a zero state word.
    frame.state.store(claimed, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else if (!frame.state.compare_exchange_strong(expected, claimed, std::memory_order_relaxed,
                                                  std::memory_order_relaxed)) {
    // relaxed: the claim only excludes the janitor (which pads frames that stay 0); it publishes nothing.
    return Status(StatusCode::kAborted, "the janitor unblocked this stalled frame: the record was not written");
  }
  frame.sequence_number = sequence_number;
  frame.arrival_ns = arrival_ns;
  uint8_t* payload = segment_->bytes(offset + kFrameHeaderSize);
  std::memcpy(payload, key.data(), key.size());
  std::memcpy(payload + key.size(), data.data(), data.size());
  const uint64_t committed = layout::make_state(length, FrameType::kData, flags, key_length);
  frame.checksum = frame_checksum(committed, sequence_number, arrival_ns, payload, key.size() + data.size());
  if (commit_ == FrameCommit::kExclusive) {
    // release: publishes the frame to readers. No locked instruction: the store-load ordering against the
    // eventcount's waiter count comes from the waiters' membarrier (wait/eventcount.hpp).
    frame.state.store(committed, std::memory_order_release);
    return Status::ok();
  }
  if (commit_ == FrameCommit::kExclusiveSeqCst) {
    frame.state.store(committed, std::memory_order_seq_cst);  // seq_cst: release + the store-load ordering
    return Status::ok();
  }
  expected = claimed;
  // seq_cst: releases the frame to readers, and orders it before the waiter-count load of the eventcount.
  if (!frame.state.compare_exchange_strong(expected, committed,
                                           std::memory_order_seq_cst, std::memory_order_relaxed)) {
    return Status(StatusCode::kAborted, "the janitor unblocked this stalled frame: the record was not written");
  }
  return Status::ok();
}

void ShardAppender::write_padding(uint64_t offset) noexcept {
  const auto length = static_cast<int32_t>(log_->segment_size() - offset);
  uint64_t expected = 0;
  // seq_cst: publishes the padding (release) and orders it before the eventcount's waiter-count load. A
  // failure means the janitor already padded this gap, which is just as good.
  segment_->frame(offset).state.compare_exchange_strong(expected, layout::make_state(length, FrameType::kPad, 0, 0),
                                                        std::memory_order_seq_cst, std::memory_order_relaxed);
  log_->wake_readers();
}

void ShardAppender::count_failure(const Status& status) noexcept {
  // relaxed: monitoring counters, no ordering with anything.
  log_->entry().put_errors.fetch_add(1, std::memory_order_relaxed);
  if (status.code() == StatusCode::kAborted) log_->entry().aborted_puts.fetch_add(1, std::memory_order_relaxed);
}

void ShardAppender::flush_metrics() noexcept {
  if (pending_records_ == 0) return;
  // relaxed: monitoring counters, no ordering with anything.
  log_->entry().incoming_records.fetch_add(pending_records_, std::memory_order_relaxed);
  log_->entry().incoming_bytes.fetch_add(pending_bytes_, std::memory_order_relaxed);
  pending_records_ = 0;
  pending_bytes_ = 0;
}

}  // namespace shmstream::detail
