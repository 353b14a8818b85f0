// Appends frames to one shard's log (docs/DESIGN.md §4.1, §4.2). Owned by one Producer (one thread).
//
// The put of a record that fits the segment the appender already holds is one inlined fast path: reserve
// (a shared producer by claiming the frame at the tail hint with a CAS; an exclusive one with a plain load
// + store of the tail, then a plain claim), copy, checksum if the stream has checksums, commit (a store for
// either), wake readers if any sleep. Everything else — the first frame of a segment, the request to prepare the next
// one, a frame another producer claimed first, a full segment, a roll, a close by a reshard, a frame the
// janitor took away — goes to the out-of-line slow path, which is the general protocol.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "common/copy_bytes.hpp"
#include "common/realtime_clock.hpp"
#include "crypto/frame_cipher.hpp"
#include "log/frame_check.hpp"
#include "log/shard_log.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

// One record of a PutRecords group, with what became of it.
struct AppendItem {
  std::string_view key;
  std::string_view data;
  uint64_t sequence_number = 0;
  Status status;
};

// How frames are claimed and committed.
enum class FrameCommit : uint8_t {
  kShared,           // CAS claim (the reservation), release store commit of the length, then the unblock
                     // epoch's check: one locked instruction (waiters and the janitor supply the barrier
                     // with membarrier: eventcount.hpp, frame_unblock.cpp)
  kExclusive,        // plain-store reservation, relaxed store claim, release store commit (waiters and
                     // reshards supply the barrier with membarrier: eventcount.hpp, stream/reshard.cpp)
  kSharedSeqCst,     // kShared with a seq_cst fence after the commit, where the kernel lacks that barrier
  kExclusiveSeqCst,  // fetch_add reservation and a seq_cst commit, where the kernel lacks that barrier
};
// Whether producers of this mode claim frames with a CAS (several may append to a shard at once).
constexpr bool claims_shared(FrameCommit commit) noexcept {
  return commit == FrameCommit::kShared || commit == FrameCommit::kSharedSeqCst;
}

class ShardAppender {
 public:
  // `clock` (arrival times) is the owning producer's, shared by its appenders.
  ShardAppender(const ShardLog& log, FrameCommit commit, RealtimeClock& clock) noexcept;
  ~ShardAppender();
  ShardAppender(const ShardAppender&) = delete;
  ShardAppender& operator=(const ShardAppender&) = delete;

  // Frames appended from now on are sealed with `cipher` under key `generation` (docs/DESIGN.md §8), or
  // plain when `cipher` is null. The cipher is the producer's (one context for all its appenders).
  void set_encryption(FrameCipher* cipher, uint32_t generation) noexcept;

  // Bytes a record of this size occupies in the log, and whether it can be appended at all (it fits a
  // segment of this stream). The caller checks first: nothing is reserved for a record that cannot fit.
  uint64_t footprint(size_t key_length, size_t data_length) const noexcept {
    return layout::record_footprint(key_length, data_length, trailer_bytes_);
  }
  bool fits(uint64_t footprint) const noexcept { return footprint <= log_->segment_size() - layout::kSegmentHeaderSize; }

  // Appends one record of `footprint` bytes (footprint(), fits()). kShardClosed: the shard was closed by a
  // reshard before the bytes were reserved (nothing written; re-route). kAborted: the janitor padded this
  // frame because it stalled (nothing readable was written).
  [[gnu::always_inline]] Status append(std::string_view key, std::string_view data, uint64_t footprint,
                                       uint64_t& sequence_number) noexcept {
    return append_at(key, data, footprint, clock_->arrival_ns(), sequence_number);
  }

  // The same with the arrival time given (one clock read for a PutRecords group).
  [[gnu::always_inline]] Status append_at(std::string_view key, std::string_view data, uint64_t footprint,
                                          int64_t arrival_ns, uint64_t& sequence_number) noexcept {
    uint64_t offset;
    if (claims_shared(commit_)) {
      // The claim is the reservation (docs/DESIGN.md §4.1): CAS the state word of the first free frame
      // 0 -> claimed. The tail is a hint that is never past the first free frame; a frame some other
      // producer claimed first is stepped over in the slow path.
      // acquire: pairs with the release store of the hint, so the claims below it are seen.
      offset = tail_->load(std::memory_order_acquire);
      uint64_t expected = 0;
      // relaxed: the claim only excludes other claimers and the janitor; it publishes nothing.
      if (offset + footprint > inline_limit_ ||
          !frame_state(offset).compare_exchange_strong(expected, claimed_state(key, data), std::memory_order_relaxed,
                                                       std::memory_order_relaxed)) [[unlikely]] {
        return append_shared_slow(key, data, footprint, arrival_ns, offset, sequence_number);
      }
      // release: a producer or janitor that reads the hint (acquire) sees our claim below it.
      tail_->store(offset + footprint, std::memory_order_release);
    } else if (commit_ == FrameCommit::kExclusive) [[likely]] {
      // relaxed load + store instead of a locked fetch_add: we are the tail's only writer (a reshard's
      // closed bit aside, checked below). A locked instruction would also wait for our previous frame's
      // lines, which a polling consumer keeps taking back.
      offset = tail_->load(std::memory_order_relaxed);
      if (offset + footprint > inline_limit_) [[unlikely]] {
        return append_slow(key, data, footprint, arrival_ns, sequence_number);
      }
      tail_->store(offset + footprint, std::memory_order_relaxed);
      // A reshard sets the closed bit in the active-segment word, runs membarrier, then reads the tail as
      // the shard's end (stream/reshard.cpp). The fence keeps the compiler from hoisting the load above
      // our store; membarrier orders them on the CPU: either we see the bit, or the frame lies below the end.
      std::atomic_signal_fence(std::memory_order_seq_cst);
      // relaxed: ordered by the fence and the reshard's membarrier as above. Only we roll this shard.
      if (entry_->active_segment.load(std::memory_order_relaxed) != number_) [[unlikely]] {
        return closed_after_exclusive_reservation(offset, footprint);
      }
      claim_by_store(offset, key, data);
    } else {
      return append_slow(key, data, footprint, arrival_ns, sequence_number);  // kExclusiveSeqCst: rare kernels
    }
    sequence_number = base_position_ + offset;
    return fill_and_commit_any(offset, key, data, arrival_ns, sequence_number);
  }

  // The producer's one-function put (client/producer.cpp, docs/PERFORMANCE.md "Instruction budgets") in
  // steps that each either finish or leave, by a tail call, before a side effect the slow path could not
  // take over; none calls anything that returns to it, so the put keeps no stack frame. Only for plain
  // frames (a sealing appender keeps fast_limit_ at 0) of a producer whose commit mode is kCommit and whose
  // stream has kChecksum, with key and data each shorter than kInlineCopyLimit (copy_short's limit).
  static constexpr size_t kInlineCopyLimit = kCopyShortLimit;

  // Reserves `footprint` bytes for a frame whose claimed state word is `claimed`, below the fast limit of the
  // held segment (a shared producer's CAS claim is its reservation; an exclusive one claims with
  // claim_fast()), and gives its offset and address. false: nothing was reserved (no reservation in this
  // segment yet, the preparation request, a metrics checkpoint, the segment's end, a frame another producer
  // claimed first, a closed tail): append_slow takes over.
  template <FrameCommit kCommit>
  [[gnu::always_inline]] bool reserve_fast(uint64_t footprint, uint64_t claimed, uint64_t& offset,
                                           uint8_t*& frame) noexcept {
    static_assert(kCommit == FrameCommit::kShared || kCommit == FrameCommit::kExclusive);
    // Loaded once, before the fences below, which would make the compiler load it again after each. The
    // tail is found from it (the segment header is at the segment's start): one load and register less.
    uint8_t* const bytes = segment_bytes_;
    std::atomic<uint64_t>& tail = reinterpret_cast<layout::SegmentHeader*>(bytes)->tail;
    if constexpr (kCommit == FrameCommit::kShared) {
      // acquire, relaxed claim, release hint: as in append_at().
      offset = tail.load(std::memory_order_acquire);
      uint64_t expected = 0;
      if (offset + footprint > fast_limit_ ||
          !reinterpret_cast<layout::FrameHeader*>(bytes + offset)->state.compare_exchange_strong(
              expected, claimed, std::memory_order_relaxed, std::memory_order_relaxed)) [[unlikely]] {
        return false;
      }
      tail.store(offset + footprint, std::memory_order_release);
    } else {
      // relaxed: as in append_at(); the closed check follows in closed_since_reservation().
      offset = tail.load(std::memory_order_relaxed);
      if (offset + footprint > fast_limit_) [[unlikely]] return false;
      tail.store(offset + footprint, std::memory_order_relaxed);
      std::atomic_signal_fence(std::memory_order_seq_cst);  // as in append_at()
    }
    frame = bytes + offset;
    return true;
  }
  // An exclusive reservation just made raced a reshard's close (see append_at()): the caller pads it with
  // closed_after_exclusive_reservation() and re-routes.
  [[gnu::always_inline]] bool closed_since_reservation() const noexcept {
    // relaxed: ordered by the signal fence and the reshard's membarrier, as in append_at().
    return entry_->active_segment.load(std::memory_order_relaxed) != number_;
  }
  // An exclusive producer's claim of the frame of `length` bytes it reserved at `frame` (claim_by_store()).
  [[gnu::always_inline]] static void claim_fast(uint8_t* frame, uint64_t length) noexcept {
    // relaxed, and the fence: as in claim_by_store().
    reinterpret_cast<layout::FrameHeader*>(frame)->state.store(exclusive_claim(length), std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  // Copies key and data into the claimed `frame` without a call.
  [[gnu::always_inline]] static void copy_fast(uint8_t* frame, std::string_view key, std::string_view data) noexcept {
    copy_short_key(frame + layout::kFrameHeaderSize, key.data(), key.size());
    copy_short_data(frame + layout::kFrameHeaderSize + key.size(), data.data(), data.size());
  }
  RealtimeClock& clock() const noexcept { return *clock_; }
  // How commit_fast ended: the caller returns ok, or wake_readers_after_fast_append(), or aborted(). An enum
  // rather than a Status, so the caller's tail calls stay tail calls (a Status merged from several returns
  // is taken apart and put together again after the call, which makes the call an ordinary one).
  enum class FastCommit : uint8_t { kDone, kWakeReaders, kAborted };
  // After copy_fast: the arrival time, the checksum, the commit (kAborted if the janitor turned a stalled
  // shared claim into padding: nothing was written), the metrics, the wake check, for the frame of `length`
  // bytes (header, key, data, trailer) with a key of `key_length`.
  template <FrameCommit kCommit, bool kChecksum>
  [[gnu::always_inline]] FastCommit commit_fast(uint8_t* frame, uint64_t key_length, uint64_t length,
                                                int64_t arrival_ns) noexcept {
    if (!commit_frame_fast<kCommit, kChecksum>(frame, key_length, length, arrival_ns)) [[unlikely]] {
      return FastCommit::kAborted;
    }
    return readers_wait() ? FastCommit::kWakeReaders : FastCommit::kDone;
  }
  // commit_fast without the wake check (a group commits frame after frame, then checks once). false: the
  // janitor padded the stalled claim (shared producers only), nothing was written.
  template <FrameCommit kCommit, bool kChecksum>
  [[gnu::always_inline]] bool commit_frame_fast(uint8_t* frame, uint64_t key_length, uint64_t length,
                                                int64_t arrival_ns) noexcept {
    auto& header = *reinterpret_cast<layout::FrameHeader*>(frame);
    header.arrival_ns = arrival_ns;
    const uint64_t committed = fast_state<kChecksum>(key_length, length, false);
    if constexpr (kChecksum) {
      const uint64_t payload = length - layout::kFrameHeaderSize - layout::kChecksumTrailerSize;
      const uint64_t position = base_position_ + static_cast<uint64_t>(frame - segment_bytes_);
      const uint64_t checksum = frame_checksum(frame, position, committed, payload);
      std::memcpy(frame + layout::kFrameHeaderSize + payload, &checksum, sizeof checksum);
    }
    if constexpr (kCommit == FrameCommit::kExclusive) {
      header.state.store(committed, std::memory_order_release);  // release: as in fill_and_commit()
    } else if (!commit_shared<kCommit>(header, static_cast<uint32_t>(length))) [[unlikely]] {
      return false;
    }
    // IncomingRecords/Bytes: flushed at the metrics checkpoints of the slow path (reserved()), so the count
    // is two adds, of the frame length (the payload is not kept in a register for it): flush_metrics()
    // takes each fast record's header and trailer off again.
    pending_fast_lengths_ += length;
    ++pending_fast_records_;
    return true;
  }
  // A shared producer's commit of its claimed frame of `length` bytes (docs/DESIGN.md §4.1): the length
  // stored into the claim, then the unblock epoch loaded. The janitor raises the epoch, runs a membarrier,
  // then pads by CAS (§4.6): if its CAS won, our store came after the barrier, so our load sees the raise.
  // An unmoved epoch means the frame is ours; a moved one, that the frame may be padding: looked up out of
  // line. false: the janitor padded the stalled claim first, nothing was written.
  template <FrameCommit kCommit>
  [[gnu::always_inline]] bool commit_shared(layout::FrameHeader& header, uint32_t length) noexcept {
    static_assert(claims_shared(kCommit));
    layout::store_committed_length(header, length);
    if constexpr (kCommit == FrameCommit::kShared) {
      std::atomic_signal_fence(std::memory_order_seq_cst);  // the barrier itself is the janitor's membarrier
    } else {
      std::atomic_thread_fence(std::memory_order_seq_cst);  // no membarrier: the store-load barrier is ours
    }
    // relaxed: ordered after our store by the fence above; the janitor raises it with a seq_cst RMW.
    if (entry_->unblock_epoch.load(std::memory_order_relaxed) == unblock_epoch_seen_) [[likely]] return true;
    return commit_survived_unblock(header);
  }
  // The unblock epoch moved since this appender last looked (commit_shared()): whether the committed frame
  // at `header` is still DATA, not the janitor's padding.
  [[gnu::noinline]] bool commit_survived_unblock(layout::FrameHeader& header) noexcept;
  // Whether a reader sleeps on either eventcount, after a commit. seq_cst: as in notify_waiters() (the load
  // after the commit). One branch for both eventcounts.
  [[gnu::always_inline]] bool readers_wait() const noexcept {
    return (entry_waiters_->load(std::memory_order_seq_cst) | stream_waiters_->load(std::memory_order_seq_cst)) != 0;
  }
  // commit_fast when the clock needs re-anchoring first, and what its end asks for.
  template <FrameCommit kCommit, bool kChecksum>
  [[gnu::noinline]] Status commit_reanchored(uint8_t* frame, uint64_t key_length, uint64_t length) noexcept {
    switch (commit_fast<kCommit, kChecksum>(frame, key_length, length, clock_->arrival_ns())) {
      case FastCommit::kDone:
        return Status::ok();
      case FastCommit::kWakeReaders:
        return wake_readers_after_fast_append();
      case FastCommit::kAborted:
        break;
    }
    return aborted();
  }
  // The state words of a plain frame of `length` bytes: DATA with the stream's flags, the key length, and the
  // length or, for the claim, its negation.
  template <bool kChecksum>
  [[gnu::always_inline]] static uint64_t fast_state(uint64_t key_length, uint64_t length, bool claimed) noexcept {
    // Below 2^32 (key and data are bounded far below it): no zero-extension of a 32-bit value.
    return layout::make_state(0, layout::FrameType::kData, kChecksum ? layout::kFlagChecksum : 0, 0) |
           (key_length << 48) | (claimed ? uint64_t{static_cast<uint32_t>(0u - length)} : length);
  }
  // Wakes the readers that sleep; the result of a fast append (ok).
  Status wake_readers_after_fast_append() noexcept;
  uint32_t shard_index() const noexcept { return shard_index_; }
  uint64_t sequence_number_at(uint64_t offset) const noexcept { return base_position_ + offset; }
  // The offset in the held segment of a frame reserve_fast() gave.
  uint64_t offset_of(const uint8_t* frame) const noexcept { return static_cast<uint64_t>(frame - segment_bytes_); }
  // The general append: attaches to the active segment, reserves (padding and rolling past a full segment,
  // asking for the next segment ahead), then writes the frame. What the fast path leaves comes here.
  Status append_slow(std::string_view key, std::string_view data, uint64_t footprint, int64_t arrival_ns,
                     uint64_t& sequence_number) noexcept;
  // The exclusive reservation [offset, offset + bytes) raced a reshard's close: pad it so readers get past
  // it and report kShardClosed.
  Status closed_after_exclusive_reservation(uint64_t offset, uint64_t bytes) noexcept;
  // The janitor padded our stalled claim: counted, kAborted.
  Status aborted() noexcept;

  // Appends a group of records for this shard with one clock read (docs/DESIGN.md §4.1): a shared producer
  // claims frame after frame, an exclusive one reserves the group at once when it fits a segment. Each item
  // gets its status; kShardClosed items were not written and must be re-routed by the caller. Every item
  // must fit a segment (fits()).
  void append_group(std::span<AppendItem> items) noexcept;
  // append_group's path for shared producers, groups too large to reserve at once, and records that do not fit.
  void append_group_one_by_one(std::span<AppendItem> items, int64_t arrival_ns) noexcept;
  void flush_metrics() noexcept;

 private:
  static constexpr uint32_t kMetricsBatch = 1024;
  // The fast path leaves for the slow one, which flushes the metrics, at least once per this many bytes of
  // the log: IncomingRecords/Bytes lag by at most that much of this appender's writes (or 1024 records of
  // the slow path).
  static constexpr uint64_t kMetricsCheckpointBytes = 64 * 1024;

  std::atomic<uint64_t>& frame_state(uint64_t offset) const noexcept {
    return reinterpret_cast<layout::FrameHeader*>(segment_bytes_ + offset)->state;
  }
  uint32_t frame_length(std::string_view key, std::string_view data) const noexcept {
    return static_cast<uint32_t>(layout::kFrameHeaderSize + key.size() + data.size() + trailer_bytes_);
  }
  // The state words of this record: the type and flags are the appender's, the key length and the length
  // the record's.
  uint64_t committed_state(std::string_view key, std::string_view data) const noexcept {
    return data_state_ | (uint64_t{key.size()} << 48) | frame_length(key, data);
  }
  uint64_t claimed_state(std::string_view key, std::string_view data) const noexcept {
    return data_state_ | (uint64_t{key.size()} << 48) | (0u - frame_length(key, data));
  }

  // An exclusive producer's claim: a plain store, since no janitor touches this stream's frames while it
  // lives; it only tells one that comes after its death how long the frame is, so it is the negated length
  // alone (docs/FORMAT.md "Exclusive append"): type, flags and key length come with the commit. A shared
  // producer's claim is the whole word but the length (claimed_state()); its commit stores the length.
  static uint64_t exclusive_claim(uint64_t length) noexcept { return static_cast<uint32_t>(0u - length); }
  void claim_by_store(uint64_t offset, std::string_view key, std::string_view data) noexcept {
    // relaxed: as above. The signal fence keeps the compiler from sinking the claim below the payload
    // stores, so a death mid-write never leaves payload bytes behind a zero state word.
    frame_state(offset).store(exclusive_claim(frame_length(key, data)), std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }

  // Fills (kSealed: encrypts into) and commits the claimed frame at `offset` of the held segment, wakes
  // readers, counts it. The fast path is only ever plain: a sealing appender keeps fast_limit_ at 0, so its
  // puts take append_at() (inline claim below inline_limit_) or the slow path, and the plain put pays
  // nothing for encryption.
  template <bool kSealed>
  [[gnu::always_inline]] Status fill_and_commit(uint64_t offset, std::string_view key, std::string_view data,
                                                int64_t arrival_ns, uint64_t sequence_number) noexcept {
    uint8_t* frame = segment_bytes_ + offset;
    auto& header = *reinterpret_cast<layout::FrameHeader*>(frame);
    header.arrival_ns = arrival_ns;
    const uint64_t committed = committed_state(key, data);
    if constexpr (kSealed) {
      // Ciphertext straight into the frame, before the commit publishes it (docs/DESIGN.md §8).
      if (!seal(frame, key, data, sequence_number, committed, arrival_ns)) return abandon(offset, key, data);
    } else {
      copy_bytes(frame + layout::kFrameHeaderSize, key.data(), key.size());
      copy_bytes(frame + layout::kFrameHeaderSize + key.size(), data.data(), data.size());
    }
    if ((flags_ & layout::kFlagChecksum) != 0) {
      const uint64_t checksum = frame_checksum(frame, sequence_number, committed, key.size() + data.size());
      std::memcpy(frame + layout::kFrameHeaderSize + key.size() + data.size(), &checksum, sizeof checksum);
    }
    if (commit_ == FrameCommit::kExclusive) {
      // release: publishes the frame to readers. No locked instruction: the store-load ordering against the
      // eventcount's waiter count comes from the waiters' membarrier (wait/eventcount.hpp).
      header.state.store(committed, std::memory_order_release);
    } else if (commit_ == FrameCommit::kExclusiveSeqCst) {
      header.state.store(committed, std::memory_order_seq_cst);  // seq_cst: release + the store-load ordering
    } else if (!(commit_ == FrameCommit::kShared
                     ? commit_shared<FrameCommit::kShared>(header, frame_length(key, data))
                     : commit_shared<FrameCommit::kSharedSeqCst>(header, frame_length(key, data)))) [[unlikely]] {
      return aborted();  // the janitor turned the stalled claim into padding
    }
    ShardLog::wake_readers(*entry_, *stream_header_);
    pending_bytes_ += key.size() + data.size();
    if (++pending_records_ >= kMetricsBatch) [[unlikely]] flush_metrics();
    return Status::ok();
  }

  // fill_and_commit for the slow paths, sealing or not as the appender is set.
  Status fill_and_commit_any(uint64_t offset, std::string_view key, std::string_view data, int64_t arrival_ns,
                             uint64_t sequence_number) noexcept {
    return cipher_ != nullptr ? fill_and_commit<true>(offset, key, data, arrival_ns, sequence_number)
                              : fill_and_commit<false>(offset, key, data, arrival_ns, sequence_number);
  }

  // A shared producer's claim from the hint at `offset` left the fast path (first frame, preparation
  // request, the segment's end, a frame claimed by another producer, no segment held): the general claim.
  Status append_shared_slow(std::string_view key, std::string_view data, uint64_t footprint, int64_t arrival_ns,
                            uint64_t offset, uint64_t& sequence_number) noexcept;
  // Claims the first free frame at or after `offset` of the held segment for `footprint` bytes with
  // `claimed`: kValid (offset is the frame's), kRetry (the segment was full: padded, sealed and rolled) or
  // kFailed (`status`: closed, damaged, or the roll failed).
  enum class Reservation : uint8_t { kValid, kRetry, kFailed };
  Reservation claim_shared(uint64_t& offset, uint64_t footprint, uint64_t claimed, int64_t arrival_ns,
                           Status& status) noexcept;
  // A reservation at `offset` was made: record the first arrival, ask for the next segment ahead.
  void reserved(uint64_t offset, uint64_t bytes, int64_t arrival_ns) noexcept;
  // An exclusive producer's reservation of `bytes` contiguous bytes in the active segment (plain store or
  // fetch_add of the tail), padding and rolling past a full one.
  Status reserve(uint64_t bytes, int64_t arrival_ns, uint64_t& offset) noexcept;
  // Finishes an exclusive reservation [offset, offset + bytes) made in the held segment: kValid (write it),
  // kRetry (the segment was full: it is sealed and rolled, reserve again) or kFailed (`status` says why).
  Reservation settle_reservation(uint64_t offset, uint64_t bytes, int64_t arrival_ns, Status& status) noexcept;
  // The held segment is full: record its last arrival, mark it sealed; then have the next one published.
  void seal(int64_t arrival_ns) noexcept;
  Reservation roll(Status& status) noexcept;
  // Makes the held segment the active one. kAccessDenied when this process may only read it.
  Status attach_active_segment() noexcept;
  // The exclusive producer's reservation in the slow path: plain load + store of the tail. false: closed.
  bool reserve_exclusively(uint64_t bytes, uint64_t& offset) noexcept;
  Status shard_closed() noexcept;
  // CAS the free frame at `offset` to PAD(rest of the segment) and wake readers. false: the word was not
  // free (`observed` holds what it was).
  bool pad_to_segment_end(uint64_t offset, uint64_t& observed) noexcept;
  // Encrypts key and data into the claimed `frame` and writes the tag trailer. false: OpenSSL failed.
  bool seal(uint8_t* frame, std::string_view key, std::string_view data, uint64_t position, uint64_t committed,
            int64_t arrival_ns) noexcept {
    uint8_t* ciphertext = frame + layout::kFrameHeaderSize;
    const size_t payload = key.size() + data.size();
    uint8_t* tag = ciphertext + payload + ((flags_ & layout::kFlagChecksum) != 0 ? layout::kChecksumTrailerSize : 0);
    return cipher_->seal(key_slot_, log_->index(), position, committed, arrival_ns,
                         reinterpret_cast<const uint8_t*>(key.data()), key.size(),
                         reinterpret_cast<const uint8_t*>(data.data()), data.size(), ciphertext, tag);
  }
  // Sealing failed: the claimed frame at `offset` becomes padding, so nothing unauthenticated is published.
  Status abandon(uint64_t offset, std::string_view key, std::string_view data) noexcept;
  void count_failure(const Status& status) noexcept;

  const ShardLog* log_;
  layout::ShardEntry* entry_;            // the log's, held here for the fast path (one load less)
  layout::StreamHeader* stream_header_;  // likewise
  FrameCommit commit_;
  uint8_t flags_;         // the stream's, plus ENCRYPTED and the key generation while sealing
  uint64_t data_state_;   // make_state(0, kData, flags_, 0): the state word's fixed fields
  uint32_t trailer_bytes_;
  RealtimeClock* clock_;
  uint64_t unblock_epoch_seen_ = 0;  // the shard's unblock epoch when this appender last checked (shared)
  std::shared_ptr<MappedSegment> segment_;
  // The held segment, unpacked for the fast path.
  // Before a segment is held: a zeroed header, so the fast path's tail load reads something (fast_limit_ is 0
  // then, so it never reserves; the slow path uses tail_).
  uint8_t* segment_bytes_ = reinterpret_cast<uint8_t*>(&no_segment_header_);
  std::atomic<uint64_t>* tail_ = nullptr;
  uint64_t base_position_ = 0;
  uint64_t number_ = ~uint64_t{0};
  // The fast path's reservations end at or below it (0: no segment held, no reservation made in it yet, or
  // sealing: the producer's one-function put copies plain frames only).
  uint64_t fast_limit_ = 0;
  // append_at()'s inline reservations end at or below it: fast_limit_, but sealing too, so that a sealed
  // record takes the inline claim and not the slow append each time (0: no segment held or no reservation
  // made in it yet).
  uint64_t inline_limit_ = 0;
  uint64_t pending_records_ = 0;
  uint64_t pending_bytes_ = 0;
  // The fast path's records and the sum of their frame lengths (header and trailer included).
  uint64_t pending_fast_records_ = 0;
  uint64_t pending_fast_lengths_ = 0;
  uint64_t metrics_checkpoint_ = 0;  // the offset in the held segment where the slow path flushes the metrics next
  std::atomic<uint64_t> no_tail_{layout::kTailClosedBit};  // tail_ before a segment is held: always slow
  static inline layout::SegmentHeader no_segment_header_{};  // only ever read
  // The fast path's loads, one each: the eventcounts' waiter counts, the shard's index.
  const std::atomic<uint32_t>* entry_waiters_;
  const std::atomic<uint32_t>* stream_waiters_;
  uint32_t shard_index_;
  // Encryption (slow path only; kept after the fast path's members).
  uint8_t stream_flags_;           // the stream's frame flags (checksums)
  FrameCipher* cipher_ = nullptr;  // non-null while the stream is encrypted (the producer's)
  uint32_t key_slot_ = 0;
  uint64_t fast_frame_overhead_;  // header and trailer of the fast path's frames (flush_metrics())
};

}  // namespace shmstream::detail
