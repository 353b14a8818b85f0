#include "log/shard_cursor.hpp"

#include <algorithm>

#include "crypto/stream_keys.hpp"
#include "log/frame_check.hpp"
#include "log/shard_log.hpp"
#include "shmstream/limits.hpp"

namespace shmstream::detail {
namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

ShardCursor::ShardCursor(const ShardLog& log, uint64_t position, const ReaderOptions& options) noexcept
    : log_(&log), entry_(&log.entry()), position_(log.normalise(position)), options_(options) {
  held_.reserve(4);
}

void ShardCursor::seek(uint64_t position) noexcept { position_ = log_->normalise(position); }

inline bool ShardCursor::holds_position() const noexcept {
  return segment_ && segment_->number() == log_->segment_number(position_);
}

inline bool ShardCursor::map_current(Status& status) noexcept {
  return holds_position() || map_segment_of_position(status);
}

bool ShardCursor::map_segment_of_position(Status& status) noexcept {
  const uint64_t number = log_->segment_number(position_);
  if (log_->active_segment() < number) return false;
  std::shared_ptr<MappedSegment> next;
  status = log_->map_segment(number, next);
  if (!status) {
    // acquire: pairs with the trimmer's release store of the horizon, made before it unlinked the file.
    if (status.code() == StatusCode::kResourceNotFound &&
        position_ < entry_->trim_horizon.load(std::memory_order_acquire)) {
      status = Status(StatusCode::kExpiredIterator, "the iterator's position was trimmed (past retention)");
    }
    return false;
  }
  if (segment_) held_.push_back(std::move(segment_));  // the batch's views may point into it
  segment_ = std::move(next);
  next_prepared_ = false;
  return true;
}

bool ShardCursor::at_shard_end() const noexcept {
  // acquire: the ending sequence number is stored (release) after every frame below it settled.
  const uint64_t ending = entry_->ending_sequence_number.load(std::memory_order_acquire);
  return ending != layout::kNoSequence && position_ > ending;
}

Status ShardCursor::read(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept {
  // The checksum setting is fixed per stream and per reader: one loop for each, so no record tests it.
  if (options_.verify_checksums && (log_->frame_flags() & layout::kFlagChecksum) != 0) {
    return read_batch<true>(batch, limit, max_bytes);
  }
  return read_batch<false>(batch, limit, max_bytes);
}

inline bool ShardCursor::nothing_to_read_at(uint64_t state) const noexcept {
  return layout::state_length(state) <= 0 && options_.claimed_frame_pauses == 0;
}

inline bool ShardCursor::caught_up_at_held_segment(uint64_t horizon) const noexcept {
  // An open shard (a closed one's cursor may rest mid-frame, at its ending sequence number + 1), a position
  // in the segment held and not trimmed, and nothing to read there yet.
  // acquire: as in at_shard_end().
  if (!holds_position() || position_ < horizon ||
      entry_->ending_sequence_number.load(std::memory_order_acquire) != layout::kNoSequence) {
    return false;
  }
  // acquire: as in read_batch(); a committed word is read again there.
  return nothing_to_read_at(segment_->frame(log_->segment_offset(position_)).state.load(std::memory_order_acquire));
}

template <bool kVerify>
Status ShardCursor::read_batch(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept try {
  batch.records.clear();
  batch.child_shards.clear();
  batch.shard_ended = false;
  batch.millis_behind_latest = 0;
  batch.damaged_bytes_skipped = 0;
  held_.clear();
  plaintext_used_ = 0;
  if (limit < 1 || limit > kMaxGetRecordsLimit) {
    return Status(StatusCode::kInvalidArgument, "limit must be between 1 and 10000");
  }
  // acquire: pairs with the trimmer's release; positions at or above it are still mapped or mappable.
  const uint64_t horizon = entry_->trim_horizon.load(std::memory_order_acquire);
  if (caught_up_at_held_segment(horizon)) [[likely]] {
    batch.next_position = position_;
    return Status::ok();
  }
  if (position_ < horizon) {
    if (!options_.skip_to_trim_horizon_when_expired) {
      batch.next_position = position_;
      return Status(StatusCode::kExpiredIterator, "the iterator's position is older than the trim horizon");
    }
    position_ = horizon;
  }
  batch.records.resize(limit);  // no work per element (NoInitAllocator); trimmed to the count below
  RecordView* const first = batch.records.data();
  RecordView* const last = first + limit;
  // The walk's state lives in registers: the out-of-line step for unusual frames gets a copy.
  RecordView* next = first;
  uint64_t bytes_left = max_bytes;
  Status status;
  bool caught_up = false;  // stopped where nothing is committed yet, as opposed to at the limit
  bool stopped = false;
  const PlainFrameShape shape(log_->frame_flags());
  const uint64_t size = log_->segment_size();
  while (!stopped && next != last) {
    if (!map_current(status)) {
      caught_up = status.is_ok();  // the next segment is not active yet: nothing was written past this one
      break;
    }
    const uint8_t* const bytes_of_segment = segment_->bytes(0);
    const uint64_t base = segment_->base_position();
    uint64_t offset = position_ - base;
    while (offset < size && next != last) {
      // The usual frames, one after another, with one compare each against the segment's end: is_plain_frame
      // checks the frame against `room`, which keeps one byte in hand, so every frame taken here ends before
      // the segment's end and the next one starts inside it. A frame reaching the very end (a rare DATA frame;
      // padding goes there anyway) is read by the unusual step.
      uint64_t room = size - offset - 1;
      bool usual = true;
      uint64_t state;
      do {
        const uint8_t* const frame = bytes_of_segment + offset;
        // acquire: pairs with the producer's commit; key, data and header fields are visible after it.
        state = reinterpret_cast<const layout::FrameHeader*>(frame)->state.load(std::memory_order_acquire);
        PlainFrame plain;
        // A record over the byte limit ends the batch, or goes anyway as its first: the unusual step decides.
        if (!is_plain_frame(frame, state, room, base + offset, shape, kVerify, plain) || plain.payload > bytes_left)
            [[unlikely]] {
          usual = false;
          break;
        }
        bytes_left -= plain.payload;
        const auto* key = reinterpret_cast<const char*>(frame + layout::kFrameHeaderSize);
        *next++ = RecordView{base + offset, plain.arrival_ns, {key, plain.key_length},
                             {key + plain.key_length, plain.data_length}};
        offset += plain.footprint;
        room -= plain.footprint;
      } while (next != last);
      if (usual) break;  // at the batch's limit
      if (nothing_to_read_at(state)) {
        caught_up = true;  // nothing committed here yet: the usual end of a batch, without the unusual step
        stopped = true;
        break;
      }
      BatchWalk walk{next, bytes_left, offset};
      read_unusual_frame<kVerify>(batch, bytes_of_segment, base, walk, status);
      next = walk.next;
      bytes_left = walk.bytes_left;
      offset = walk.offset;
      if (walk.stopped) {
        caught_up = walk.caught_up;
        stopped = true;
        break;
      }
    }
    position_ = log_->normalise(base + offset);  // at the segment's end: the next segment's first frame
    if (!next_prepared_ && offset >= SegmentPreparer::request_offset(size)) {
      // Have the next segment mapped in the background, so crossing into it is cheap.
      log_->prepare_segment(segment_->number() + 1, SegmentPreparer::Work::kMapOnly);
      next_prepared_ = true;
    }
  }
  batch.records.resize(static_cast<size_t>(next - first));
  // A closed shard ends at its ending sequence number; the close padded from there to the segment's end,
  // which the walk stepped over. The cursor stays at the end, where a token made from it can seek.
  // acquire: as in at_shard_end().
  if (const uint64_t ending = entry_->ending_sequence_number.load(std::memory_order_acquire);
      ending != layout::kNoSequence && position_ > ending + 1) {
    position_ = ending + 1;
  }
  batch.next_position = position_;
  if (!batch.records.empty()) {
    // Records were read: report them now; an error at the position after them shows on the next call.
    // A caught-up cursor does not look at the next frame again: a producer is likely writing that very line.
    if (!caught_up && has_data(std::memory_order_acquire)) {
      batch.millis_behind_latest = std::max<int64_t>(0, (clock_.now_ns() - batch.records.back().arrival_ns) / 1'000'000);
    }
    return Status::ok();
  }
  if (!status) return status;
  batch.shard_ended = at_shard_end();
  return Status::ok();
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory reading records");
}

template <bool kVerify>
void ShardCursor::read_unusual_frame(RecordBatch& batch, const uint8_t* bytes_of_segment, uint64_t base,
                                     BatchWalk& walk, Status& status) noexcept {
  const RecordView* const first = batch.records.data();
  const uint64_t size = log_->segment_size();
  const uint8_t flags = log_->frame_flags();
  const uint64_t offset = walk.offset;
  const uint8_t* const frame = bytes_of_segment + offset;
  FrameInfo info;
  FrameKind kind = inspect_frame(frame, size - offset, base + offset, flags, kVerify, info);
  const uint8_t* payload = frame + layout::kFrameHeaderSize;
  const bool encrypted = kind == FrameKind::kEncrypted;
  if (encrypted) {
    kind = open_encrypted(frame, base + offset, info, walk.next == first, payload, status);
    if (kind == FrameKind::kNotCommitted) {  // no key, or the plaintext buffer is full: end the batch here
      walk.stopped = true;
      return;
    }
    if (kind == FrameKind::kCorrupted && options_.skip_damaged_frames) {  // a failed tag in a sound frame
      batch.damaged_bytes_skipped += info.footprint;
      walk.offset += info.footprint;
      return;
    }
  }
  if (kind == FrameKind::kData) {
    const uint64_t payload_bytes = uint64_t{info.key_length} + info.data_length;
    if (payload_bytes > walk.bytes_left) {
      if (walk.next != first) {
        if (encrypted) plaintext_used_ -= payload_bytes;  // not handed out: read again on the next call
        walk.stopped = true;
        return;
      }
      walk.bytes_left = payload_bytes;  // the first record goes whatever its size, as in Kinesis
    }
    walk.bytes_left -= payload_bytes;
    const auto* key = reinterpret_cast<const char*>(payload);
    *walk.next++ = RecordView{base + offset, info.arrival_ns, {key, info.key_length},
                              {key + info.key_length, info.data_length}, encrypted};
    walk.offset += info.footprint;
    return;
  }
  if (kind == FrameKind::kPad) {
    walk.offset += info.footprint;
    return;
  }
  if (kind == FrameKind::kNotCommitted && info.claimed && walk.next == first && options_.claimed_frame_pauses > 0) {
    // A producer is writing this very frame. Re-reading the line now would pull it from the producer
    // mid-write and stall its commit, so pause, then look once (a throughput-for-latency trade, opt-in).
    for (uint32_t i = 0; i < options_.claimed_frame_pauses; ++i) cpu_relax();
    info = FrameInfo{};
    if (inspect_frame(frame, size - offset, base + offset, flags, kVerify, info) != FrameKind::kNotCommitted) {
      return;  // committed (or damaged) meanwhile: the walk takes it as any other frame
    }
  }
  if (kind == FrameKind::kCorrupted && options_.skip_damaged_frames) {
    const uint64_t intact = next_intact_frame(bytes_of_segment, size, base, offset, flags);
    batch.damaged_bytes_skipped += intact - offset;
    walk.offset = intact;
    return;
  }
  if (kind == FrameKind::kCorrupted) {
    status = Status(StatusCode::kCorrupted, info.problem);
  } else {
    walk.caught_up = true;
  }
  walk.stopped = true;
}

FrameKind ShardCursor::open_encrypted(const uint8_t* frame, uint64_t position, FrameInfo& info,
                                      bool first_of_batch, const uint8_t*& payload, Status& status) noexcept try {
  const uint32_t slot = layout::key_slot(info.flags);
  const size_t length = size_t{info.key_length} + info.data_length;
  if (!cipher_) cipher_ = std::make_unique<FrameCipher>(FrameCipher::Direction::kOpen);
  if (cipher_->generation_in_slot(slot) == 0) {
    if (status = load_key_generation(log_->stream_header(), slot, *cipher_, key_message_); !status) {
      status = Status(status.code(), key_message_.c_str());
      return FrameKind::kNotCommitted;
    }
  }
  if (plaintext_used_ + length > plaintext_capacity_) {
    // Views of this batch point into the buffer: it grows only before the batch's first record.
    plaintext_wanted_ = std::max({plaintext_wanted_, plaintext_used_ + length, size_t{1} << 20});
    if (!first_of_batch) return FrameKind::kNotCommitted;
    plaintext_.reset(new uint8_t[plaintext_wanted_]);  // not zeroed: pages are touched only as they fill
    plaintext_capacity_ = plaintext_wanted_;
    plaintext_used_ = 0;
  }
  uint8_t* out = plaintext_.get() + plaintext_used_;
  // relaxed: the frame was seen committed (acquire) and a committed state word never changes.
  const uint64_t state = reinterpret_cast<const layout::FrameHeader*>(frame)->state.load(std::memory_order_relaxed);
  const uint8_t* ciphertext = frame + layout::kFrameHeaderSize;
  const uint8_t* tag = ciphertext + length + ((info.flags & layout::kFlagChecksum) != 0 ? layout::kChecksumTrailerSize : 0);
  bool opened = cipher_->open(slot, log_->index(), position, state, info.arrival_ns, ciphertext, length, tag, out);
  if (!opened &&
      log_->stream_header().key_generations[slot].generation != cipher_->generation_in_slot(slot)) {
    // The slot names a newer generation than the one loaded (32 starts later): load it and try once more.
    if (status = load_key_generation(log_->stream_header(), slot, *cipher_, key_message_); !status) {
      status = Status(status.code(), key_message_.c_str());
      return FrameKind::kNotCommitted;
    }
    opened = cipher_->open(slot, log_->index(), position, state, info.arrival_ns, ciphertext, length, tag, out);
  }
  if (!opened) {
    info.problem = "encrypted frame fails its authentication tag (tampered with, moved, or sealed under another key)";
    return FrameKind::kCorrupted;
  }
  plaintext_used_ += length;
  payload = out;
  return FrameKind::kData;
} catch (...) {
  status = Status(StatusCode::kInternalFailure, "out of memory decrypting records");
  return FrameKind::kNotCommitted;
}

bool ShardCursor::has_data(std::memory_order order) noexcept {
  Status status;
  if (!map_current(status)) return !status.is_ok() || at_shard_end();
  const uint64_t state = segment_->frame(log_->segment_offset(position_)).state.load(order);
  return layout::state_length(state) > 0 || at_shard_end();
}

}  // namespace shmstream::detail
