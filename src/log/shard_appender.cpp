#include "log/shard_appender.hpp"

#include <algorithm>

#include "log/segment_roll.hpp"

namespace shmstream::detail {

using layout::FrameType;
using layout::kSegmentHeaderSize;

ShardAppender::ShardAppender(const ShardLog& log, FrameCommit commit, RealtimeClock& clock) noexcept
    : log_(&log), entry_(&log.entry()), stream_header_(&log.stream_header()), commit_(commit), flags_(log.frame_flags()),
      data_state_(layout::make_state(0, FrameType::kData, flags_, 0)), trailer_bytes_(layout::trailer_size(flags_)),
      clock_(&clock), tail_(&no_tail_), entry_waiters_(&entry_->waiter_count),
      stream_waiters_(&stream_header_->waiter_count), shard_index_(log.index()), stream_flags_(log.frame_flags()),
      fast_frame_overhead_(layout::kFrameHeaderSize + layout::trailer_size(log.frame_flags())) {}

ShardAppender::~ShardAppender() { flush_metrics(); }

void ShardAppender::set_encryption(FrameCipher* cipher, uint32_t generation) noexcept {
  cipher_ = cipher;
  key_slot_ = generation % layout::kKeyGenerationSlots;
  flags_ = cipher != nullptr ? layout::encrypted_flags(stream_flags_, generation) : stream_flags_;
  data_state_ = layout::make_state(0, FrameType::kData, flags_, 0);
  trailer_bytes_ = layout::trailer_size(flags_);
  // Sealing never takes the fast path (the producer's one-function put), only append_at()'s inline claim;
  // either resumes after the next reservation of the slow path, as after an attach.
  fast_limit_ = 0;
  inline_limit_ = 0;
}

Status ShardAppender::abandon(uint64_t offset, std::string_view key, std::string_view data) noexcept {
  const uint64_t pad = layout::make_state(static_cast<int32_t>(layout::align_frame(frame_length(key, data))),
                                          FrameType::kPad, 0, 0);
  if (claims_shared(commit_)) {
    uint64_t expected = claimed_state(key, data);
    // seq_cst: publishes the padding and orders it before the eventcount load; a failure means the janitor
    // padded the stalled claim already, which is as good.
    (void)frame_state(offset).compare_exchange_strong(expected, pad, std::memory_order_seq_cst,
                                                      std::memory_order_relaxed);
  } else {
    frame_state(offset).store(pad, std::memory_order_seq_cst);  // seq_cst: as above; we are the only writer
  }
  log_->wake_readers();
  Status status(StatusCode::kInternalFailure, "OpenSSL failed to encrypt the record: it was not written");
  count_failure(status);
  return status;
}

Status ShardAppender::attach_active_segment() noexcept {
  // acquire: a published segment number means that segment's file is complete (see roll_segment).
  const uint64_t number = log_->active_segment();
  if (!segment_ || segment_->number() != number) {
    if (Status status = log_->map_segment(number, segment_); !status) {
      count_failure(status);
      return status;
    }
  }
  if (!segment_->writable()) return Status(StatusCode::kAccessDenied, "segment file is read-only for this process");
  segment_bytes_ = segment_->bytes(0);
  tail_ = &segment_->header().tail;
  base_position_ = segment_->base_position();
  number_ = number;
  // No fast path until this appender's first reservation in the segment (reserved() records the first
  // arrival, and the fast path need not test for the segment's first frame).
  fast_limit_ = 0;
  inline_limit_ = 0;
  metrics_checkpoint_ = 0;
  return Status::ok();
}

Status ShardAppender::append_slow(std::string_view key, std::string_view data, uint64_t footprint,
                                  int64_t arrival_ns, uint64_t& sequence_number) noexcept {
  if (claims_shared(commit_)) {
    // acquire: as in the fast path.
    return append_shared_slow(key, data, footprint, arrival_ns, tail_->load(std::memory_order_acquire),
                              sequence_number);
  }
  uint64_t offset = 0;
  if (Status status = reserve(footprint, arrival_ns, offset); !status) return status;
  claim_by_store(offset, key, data);
  sequence_number = base_position_ + offset;
  return fill_and_commit_any(offset, key, data, arrival_ns, sequence_number);
}

Status ShardAppender::append_shared_slow(std::string_view key, std::string_view data, uint64_t footprint,
                                         int64_t arrival_ns, uint64_t offset, uint64_t& sequence_number) noexcept {
  const uint64_t claimed = claimed_state(key, data);
  for (;;) {
    if (!segment_ || log_->active_segment() != number_) {  // nothing held, or another producer rolled
      if (Status status = attach_active_segment(); !status) return status;
      offset = tail_->load(std::memory_order_acquire);  // acquire: the claims below the hint are seen
    }
    Status status;
    switch (claim_shared(offset, footprint, claimed, arrival_ns, status)) {
      case Reservation::kValid:
        sequence_number = base_position_ + offset;
        return fill_and_commit_any(offset, key, data, arrival_ns, sequence_number);
      case Reservation::kRetry:
        continue;
      case Reservation::kFailed:
        return status;
    }
  }
}

ShardAppender::Reservation ShardAppender::claim_shared(uint64_t& offset, uint64_t footprint, uint64_t claimed,
                                                       int64_t arrival_ns, Status& status) noexcept {
  const uint64_t segment_size = log_->segment_size();
  for (;;) {
    uint64_t expected = 0;
    if (offset + footprint > segment_size) {
      if (offset >= segment_size) return roll(status);
      // The record does not fit: claim the rest of the segment as padding, then roll for everyone.
      if (pad_to_segment_end(offset, expected)) {
        seal(arrival_ns);
        return roll(status);
      }
    } else if (frame_state(offset).compare_exchange_strong(expected, claimed, std::memory_order_relaxed,
                                                           std::memory_order_relaxed)) {
      // relaxed claim: it only excludes other claimers and the janitor. release hint: see append().
      tail_->store(offset + footprint, std::memory_order_release);
      reserved(offset, footprint, arrival_ns);
      return Reservation::kValid;
    }
    // Another producer claimed (or committed, or padded) this frame first: step over it. Its length is
    // known from the claim on, and frames only ever start where another ends.
    const uint64_t step = layout::state_footprint(expected);
    if (step == 0 || step > segment_size - offset) {
      status = Status(StatusCode::kCorrupted, "a damaged frame is in the way of the append");
      count_failure(status);
      return Reservation::kFailed;
    }
    offset += step;
  }
}

void ShardAppender::reserved(uint64_t offset, uint64_t bytes, int64_t arrival_ns) noexcept {
  if (offset == kSegmentHeaderSize) {
    segment_->header().first_arrival_ns.store(arrival_ns, std::memory_order_relaxed);  // relaxed: a search hint
  }
  const uint64_t ask_at = SegmentPreparer::request_offset(log_->segment_size());
  if (offset < ask_at && offset + bytes >= ask_at) {
    // Once per segment: the next one is created and mapped ahead, off this thread, so the roll is a CAS.
    log_->prepare_segment(number_ + 1);
  }
  // The fast path stops where the next segment is to be asked for, then at the segment's end, and at the
  // next metrics checkpoint before either. A sealing appender has no fast path (fill_and_commit), but its
  // append_at() claims inline below the same limit.
  const uint64_t end = offset + bytes;
  if (end >= metrics_checkpoint_) {
    flush_metrics();
    metrics_checkpoint_ = end + kMetricsCheckpointBytes;
  }
  inline_limit_ = std::min(end >= ask_at ? log_->segment_size() : ask_at, metrics_checkpoint_);
  fast_limit_ = cipher_ == nullptr ? inline_limit_ : 0;
}

void ShardAppender::seal(int64_t arrival_ns) noexcept {
  layout::SegmentHeader& header = segment_->header();
  // release: the hint says "full" to every shared producer still holding this segment.
  if (claims_shared(commit_)) tail_->store(log_->segment_size(), std::memory_order_release);
  header.last_arrival_ns.store(arrival_ns, std::memory_order_relaxed);  // relaxed: retention hint
  header.flags.fetch_or(layout::kSegmentFlagSealed, std::memory_order_release);
  flush_metrics();
}

ShardAppender::Reservation ShardAppender::roll(Status& status) noexcept {
  // acquire: a reshard closed the shard (its closing padding is why this segment looks full).
  if ((entry_->active_segment.load(std::memory_order_acquire) & layout::kActiveSegmentClosedBit) != 0) {
    status = shard_closed();
    return Reservation::kFailed;
  }
  if (status = roll_segment(*log_, number_); !status) {
    count_failure(status);
    return Reservation::kFailed;
  }
  // acquire: the roll's CAS failed on a closed word (a close raced it): nothing will follow this segment.
  if ((entry_->active_segment.load(std::memory_order_acquire) & layout::kActiveSegmentClosedBit) != 0) {
    status = shard_closed();
    return Reservation::kFailed;
  }
  return Reservation::kRetry;
}

Status ShardAppender::reserve(uint64_t bytes, int64_t arrival_ns, uint64_t& offset) noexcept {
  for (;;) {
    if (!segment_ || log_->active_segment() != number_) {
      if (Status status = attach_active_segment(); !status) return status;
    }
    if (commit_ == FrameCommit::kExclusive) {
      if (!reserve_exclusively(bytes, offset)) return shard_closed();
    } else {
      // relaxed: the reservation only hands out disjoint byte ranges; frames are published by their state word.
      offset = tail_->fetch_add(bytes, std::memory_order_relaxed);
    }
    Status status;
    switch (settle_reservation(offset, bytes, arrival_ns, status)) {
      case Reservation::kValid:
        return Status::ok();
      case Reservation::kRetry:
        continue;
      case Reservation::kFailed:
        return status;
    }
  }
}

ShardAppender::Reservation ShardAppender::settle_reservation(uint64_t offset, uint64_t bytes, int64_t arrival_ns,
                                                             Status& status) noexcept {
  if ((offset & layout::kTailClosedBit) != 0) {
    status = shard_closed();
    return Reservation::kFailed;
  }
  const uint64_t segment_size = log_->segment_size();
  if (offset + bytes <= segment_size) {
    reserved(offset, bytes, arrival_ns);
    return Reservation::kValid;
  }
  if (offset < segment_size) {
    // This reservation crossed the end: pad the rest, seal, and roll for everyone. A failed pad means the
    // janitor already padded this gap, which is just as good.
    uint64_t observed = 0;
    (void)pad_to_segment_end(offset, observed);
    seal(arrival_ns);
  }
  return roll(status);
}

bool ShardAppender::reserve_exclusively(uint64_t bytes, uint64_t& offset) noexcept {
  // As in the fast path (shard_appender.hpp): a plain load + store of the tail, then the closed check.
  offset = tail_->load(std::memory_order_relaxed);
  if ((offset & layout::kTailClosedBit) != 0) return false;
  tail_->store(offset + bytes, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  // relaxed: ordered by the fence and the reshard's membarrier (shard_appender.hpp).
  if ((entry_->active_segment.load(std::memory_order_relaxed) & layout::kActiveSegmentClosedBit) == 0) return true;
  (void)closed_after_exclusive_reservation(offset, bytes);
  return false;
}

Status ShardAppender::closed_after_exclusive_reservation(uint64_t offset, uint64_t bytes) noexcept {
  // Our bytes may lie below the end the reshard computed. Readers must get past them: pad them.
  const uint64_t segment_size = log_->segment_size();
  if (offset < segment_size) {
    const uint64_t length = std::min(bytes, segment_size - offset);
    // release: publishes the padding; nobody else writes this frame (exclusive producer, no janitor).
    segment_->frame(offset).state.store(layout::make_state(static_cast<int32_t>(length), FrameType::kPad, 0, 0),
                                        std::memory_order_release);
    log_->wake_readers();
  }
  return shard_closed();
}

Status ShardAppender::shard_closed() noexcept {
  // acquire: the closed bit was set by a release RMW after the reshard bumped the shard-table epoch, so the
  // caller's re-route sees the new table (and the child) on its first try.
  std::atomic_thread_fence(std::memory_order_acquire);
  return Status(StatusCode::kShardClosed, "shard was closed by a reshard");
}

void ShardAppender::append_group(std::span<AppendItem> items) noexcept {
  const int64_t arrival_ns = clock_->arrival_ns();  // one clock read for the group
  uint64_t total = 0;
  for (AppendItem& item : items) {
    // The stream's encryption may have changed since the request was validated: a record that no longer fits
    // a segment (its tag added) is refused here, alone.
    if (!fits(footprint(item.key.size(), item.data.size()))) [[unlikely]] {
      return append_group_one_by_one(items, arrival_ns);
    }
    total += footprint(item.key.size(), item.data.size());
  }
  if (claims_shared(commit_) || items.size() == 1 || !fits(total)) {
    append_group_one_by_one(items, arrival_ns);
    return;
  }
  // An exclusive producer reserves the whole group at once.
  uint64_t offset = 0;
  if (Status status = reserve(total, arrival_ns, offset); !status) {
    for (AppendItem& item : items) item.status = status;
    return;
  }
  for (AppendItem& item : items) {
    item.sequence_number = base_position_ + offset;
    claim_by_store(offset, item.key, item.data);
    item.status = fill_and_commit_any(offset, item.key, item.data, arrival_ns, item.sequence_number);
    offset += footprint(item.key.size(), item.data.size());
  }
}

void ShardAppender::append_group_one_by_one(std::span<AppendItem> items, int64_t arrival_ns) noexcept {
  // A shared producer claims each frame: the claim is its reservation. After a close, the rest re-route.
  bool closed = false;
  for (AppendItem& item : items) {
    const uint64_t bytes = footprint(item.key.size(), item.data.size());
    if (closed) {
      item.status = Status(StatusCode::kShardClosed, "shard was closed by a reshard");
    } else if (!fits(bytes)) {
      item.status = Status(StatusCode::kInvalidArgument, "a record does not fit in one segment of this stream");
    } else {
      item.status = append_at(item.key, item.data, bytes, arrival_ns, item.sequence_number);
    }
    closed = item.status.code() == StatusCode::kShardClosed;
  }
}

bool ShardAppender::pad_to_segment_end(uint64_t offset, uint64_t& observed) noexcept {
  observed = 0;
  // seq_cst: publishes the padding (release) and orders it before the eventcount's waiter-count load.
  if (!frame_state(offset).compare_exchange_strong(
          observed, layout::make_state(static_cast<int32_t>(log_->segment_size() - offset), FrameType::kPad, 0, 0),
          std::memory_order_seq_cst, std::memory_order_relaxed)) {
    return false;
  }
  log_->wake_readers();
  return true;
}

Status ShardAppender::aborted() noexcept {
  Status status(StatusCode::kAborted, "the janitor unblocked this stalled frame: the record was not written");
  count_failure(status);
  return status;
}

void ShardAppender::count_failure(const Status& status) noexcept {
  // relaxed: monitoring counters, no ordering with anything.
  entry_->put_errors.fetch_add(1, std::memory_order_relaxed);
  if (status.code() == StatusCode::kAborted) entry_->aborted_puts.fetch_add(1, std::memory_order_relaxed);
}

bool ShardAppender::commit_survived_unblock(layout::FrameHeader& header) noexcept {
  // seq_cst: our length store is visible before the loads below, so a janitor's CAS still to come fails on
  // it (the claim it watched is gone), and the word we load holds any padding that came before it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // relaxed: after the fence. Any epoch seen from here on will do: the janitor pads a claim only after
  // watching it for the unblock timeout, so its raise for our next frame comes after this load.
  unblock_epoch_seen_ = entry_->unblock_epoch.load(std::memory_order_relaxed);
  // relaxed: after the fence as above. Our store set the length alone; padding changed the type.
  return layout::state_type(header.state.load(std::memory_order_relaxed)) == FrameType::kData;
}

Status ShardAppender::wake_readers_after_fast_append() noexcept {
  log_->wake_readers();
  return Status::ok();
}

void ShardAppender::flush_metrics() noexcept {
  const uint64_t records = pending_records_ + pending_fast_records_;
  if (records == 0) return;
  const uint64_t bytes = pending_bytes_ + pending_fast_lengths_ - pending_fast_records_ * fast_frame_overhead_;
  // relaxed: monitoring counters, no ordering with anything.
  entry_->incoming_records.fetch_add(records, std::memory_order_relaxed);
  entry_->incoming_bytes.fetch_add(bytes, std::memory_order_relaxed);
  clock_->report_records(records);
  pending_records_ = 0;
  pending_bytes_ = 0;
  pending_fast_records_ = 0;
  pending_fast_lengths_ = 0;
}

}  // namespace shmstream::detail
