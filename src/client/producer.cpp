#include "shmstream/producer.hpp"

#include <algorithm>
#include <bit>
#include <optional>
#include <vector>

#include "crypto/stream_keys.hpp"
#include "log/frame_unblock.hpp"
#include "client/throughput_gate.hpp"
#include "common/ticking_clock.hpp"
#include "log/shard_appender.hpp"
#include "router/key_cache.hpp"
#include "router/md5_hasher.hpp"
#include "router/shard_map.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "stream/writer_lock.hpp"
#include "wait/eventcount.hpp"

namespace shmstream {
namespace detail {

class ProducerCore {
 public:
  ProducerCore(std::shared_ptr<Stream> stream, ProducerOptions options)
      : stream_(std::move(stream)),
        state_(StreamAccess::state(*stream_)),
        header_(&state_.header()),
        writer_lock_(WriterLock::acquire(state_.directory(),
                                         options.exclusive ? WriterLock::Mode::kExclusive : WriterLock::Mode::kShared,
                                         state_.header().file_mode)),
        commit_(register_for_waiter_barriers() ? (options.exclusive ? FrameCommit::kExclusive : FrameCommit::kShared)
                : options.exclusive            ? FrameCommit::kExclusiveSeqCst
                                               : FrameCommit::kSharedSeqCst),
        stream_flags_(static_cast<uint8_t>(state_.header().frame_flags)),
        trailer_bytes_(layout::trailer_size(stream_flags_)),
        max_footprint_(state_.segment_size() - layout::kSegmentHeaderSize),
        appenders_(state_.shard_capacity()) {
    if (options.exclusive) settle_abandoned_frames_of_stream();
    state_.segments().preparer().start_now();  // the opening thread's affinity, as the ticking clock's
    if (!options.exact_arrival_times) {
      ticking_clock_user_.emplace();
      clock_.stamp_from(ticking_clock_line());
    }
    map_.rebuild(state_.header(), state_.shard_table());
    refresh_throttling();
    // A user who cannot use the stream's key is told now, before any put (docs/SECURITY.md).
    if (Status status = refresh_encryption(); !status) throw Error(status.code(), key_message_);
    put_ = choose_put(commit_, (stream_flags_ & layout::kFlagChecksum) != 0);
    put_group_ = choose_put_group(commit_, (stream_flags_ & layout::kFlagChecksum) != 0);
    update_fast_appender();
  }

  // A key of 1..kInline bytes and data under kInline bytes, in one compare: an empty key wraps to the top,
  // and the OR of two numbers is below a power of two exactly when both are. Such a record is within
  // Kinesis's limits, fits any segment and is copied without a call; the general put takes the others.
  static constexpr uint64_t kInline = 128;
  static_assert(std::has_single_bit(kInline) && kInline < ShardAppender::kInlineCopyLimit);
  static_assert(layout::record_footprint(kInline, kInline - 1, layout::trailer_size(layout::kKnownFlags)) <=
                kMinSegmentSize - layout::kSegmentHeaderSize);
  static_assert(kInline <= kMaxPartitionKeyBytes);
  [[gnu::always_inline]] static bool inline_sized(std::string_view key, std::string_view data) noexcept {
    return ((key.size() - 1) | data.size()) < kInline;
  }

  // put_record without an explicit hash key: one function per commit mode and checksum setting, chosen once,
  // so the put tests neither (Producer::put_record calls it through put_).
  using PutFunction = Status (*)(ProducerCore&, std::string_view, std::string_view, PutResult&) noexcept;
  PutFunction put_ = nullptr;

  // The put of the usual case in one function without a stack frame (docs/PERFORMANCE.md "Instruction
  // budgets"): a stream with one open shard that this producer has written before, no throttling, no
  // encryption, a key of up to 128 bytes and data under 128 (copied without a call), a record that fits the
  // held segment below its fast limit, a clock that needs no re-anchoring. Everything else leaves for the
  // general put by a tail call before the first side effect, or, after one, for the slow step that finishes
  // it; no call returns here, so the only registers saved are the two that the values live from the
  // reservation to the commit need beyond the nine scratch ones (GCC 12).
  // no-tree-sra: GCC would take the returned Status apart into its fields on every path and put it together
  // again after each call, which turns the tail calls into calls and costs the stack frame (GCC 12).
  template <FrameCommit kCommit, bool kChecksum>
  [[gnu::optimize("no-tree-sra")]] static Status put_fast(ProducerCore& core, std::string_view key, std::string_view data,
                                                           PutResult& result) noexcept {
    constexpr uint64_t kTrailer = kChecksum ? layout::kChecksumTrailerSize : 0;
    if (!inline_sized(key, data)) [[unlikely]] return core.put_unhashed(key, data, result);
    // acquire: as in route(). A moved epoch (a reshard, a throttling change, a start or stop of encryption)
    // takes the general put, which rebuilds the map and sets fast_appender_ again; no fast appender, no match.
    if (core.header_->shard_table_epoch.load(std::memory_order_acquire) != core.fast_epoch_) [[unlikely]] {
      return core.put_unhashed(key, data, result);
    }
    ShardAppender* const appender = core.fast_appender_;
    const uint64_t length = layout::kFrameHeaderSize + key.size() + data.size() + kTrailer;
    uint64_t offset;
    uint8_t* frame;
    // The claimed state word: a shared producer's reservation is its claim; an exclusive one claims below,
    // and works the word out there (computed here, it would take a register through the reservation).
    const uint64_t shared_claim =
        kCommit == FrameCommit::kShared ? ShardAppender::fast_state<kChecksum>(key.size(), length, true) : 0;
    if (!appender->reserve_fast<kCommit>(layout::align_frame(length), shared_claim, offset, frame)) [[unlikely]] {
      return core.put_reserving_slowly(key, data, result);
    }
    // Written as soon as they are known (a re-route after a close writes them again), so the offset is not
    // held in a register past here.
    result.sequence_number = appender->sequence_number_at(offset);
    result.shard_index = appender->shard_index();
    if constexpr (kCommit == FrameCommit::kExclusive) {
      if (appender->closed_since_reservation()) [[unlikely]] {
        core.bailout_frame_ = frame;
        return core.put_after_close(key, data, result);
      }
      ShardAppender::claim_fast(frame, length);
    }
    ShardAppender::copy_fast(frame, key, data);
    // The clock is read once the record is in place: its value goes straight into the header.
    int64_t arrival_ns;
    if (!appender->clock().try_arrival_ns(arrival_ns)) [[unlikely]] {
      return appender->commit_reanchored<kCommit, kChecksum>(frame, key.size(), length);
    }
    using FastCommit = ShardAppender::FastCommit;
    const FastCommit end = appender->commit_fast<kCommit, kChecksum>(frame, key.size(), length, arrival_ns);
    if (end == FastCommit::kDone) [[likely]] return Status::ok();
    if (end == FastCommit::kWakeReaders) return appender->wake_readers_after_fast_append();
    return appender->aborted();  // counts it and says so
  }

  static Status put_unhashed_of(ProducerCore& core, std::string_view key, std::string_view data,
                                PutResult& result) noexcept {
    return core.put_unhashed(key, data, result);
  }

  // PutRecords of the usual case, one function per commit mode and checksum setting as put_, chosen once:
  // put_fast's conditions for every entry, one clock read for the whole request (Kinesis gives a request's
  // records about one arrival time), then each record reserved, claimed, copied and committed as put_fast
  // does it. Returns how many leading entries it wrote or failed (their results are set); the caller puts
  // the others through the general path. Every entry must be inline_sized(), so none is invalid.
  using PutGroupFunction = size_t (*)(ProducerCore&, std::span<const PutRecordsEntry>,
                                      std::span<PutRecordsResultEntry>) noexcept;
  PutGroupFunction put_group_ = nullptr;

  template <FrameCommit kCommit, bool kChecksum>
  static size_t put_group_fast(ProducerCore& core, std::span<const PutRecordsEntry> entries,
                               std::span<PutRecordsResultEntry> results) noexcept {
    constexpr uint64_t kTrailer = kChecksum ? layout::kChecksumTrailerSize : 0;
    // acquire: as in put_fast().
    if (core.header_->shard_table_epoch.load(std::memory_order_acquire) != core.fast_epoch_) return 0;
    ShardAppender* const appender = core.fast_appender_;
    // One clock read for the request (a re-anchoring is rare: called here).
    const int64_t arrival_ns = appender->clock().arrival_ns();
    // Each frame is committed as soon as it is filled, so a reader follows right behind the producer. (Filling
    // the whole group first and committing it last to first, so that a reader finds it complete at once, put
    // 0.59x the floor's rate against 0.73x in 10 interleaved feed rounds: docs/PERFORMANCE.md.)
    size_t done = 0;
    for (; done < entries.size(); ++done) {
      const std::string_view key = entries[done].partition_key;
      const std::string_view data = entries[done].data;
      const uint64_t length = layout::kFrameHeaderSize + key.size() + data.size() + kTrailer;
      const uint64_t shared_claim =
          kCommit == FrameCommit::kShared ? ShardAppender::fast_state<kChecksum>(key.size(), length, true) : 0;
      uint64_t offset;
      uint8_t* frame;
      if (!appender->reserve_fast<kCommit>(layout::align_frame(length), shared_claim, offset, frame)) break;
      if constexpr (kCommit == FrameCommit::kExclusive) {
        if (appender->closed_since_reservation()) [[unlikely]] {
          // Padded; this entry and the rest are routed again by the general path.
          (void)appender->closed_after_exclusive_reservation(offset, layout::align_frame(length));
          break;
        }
        ShardAppender::claim_fast(frame, length);
      }
      ShardAppender::copy_fast(frame, key, data);
      PutRecordsResultEntry& result = results[done];
      result.result = PutResult{appender->shard_index(), appender->sequence_number_at(offset)};
      result.status = appender->commit_frame_fast<kCommit, kChecksum>(frame, key.size(), length, arrival_ns)
                          ? Status::ok()
                          : appender->aborted();
    }
    // One wake check after the last commit covers every reader that went to sleep before any of them.
    if (done != 0 && appender->readers_wait()) [[unlikely]] (void)appender->wake_readers_after_fast_append();
    return done;
  }

  static size_t put_group_nothing(ProducerCore&, std::span<const PutRecordsEntry>,
                                  std::span<PutRecordsResultEntry>) noexcept {
    return 0;
  }

  static PutGroupFunction choose_put_group(FrameCommit commit, bool checksums) noexcept {
    switch (commit) {
      case FrameCommit::kExclusive:
        return checksums ? &put_group_fast<FrameCommit::kExclusive, true>
                         : &put_group_fast<FrameCommit::kExclusive, false>;
      case FrameCommit::kShared:
        return checksums ? &put_group_fast<FrameCommit::kShared, true> : &put_group_fast<FrameCommit::kShared, false>;
      case FrameCommit::kSharedSeqCst:
      case FrameCommit::kExclusiveSeqCst:
        break;
    }
    return &put_group_nothing;
  }

  static PutFunction choose_put(FrameCommit commit, bool checksums) noexcept {
    switch (commit) {
      case FrameCommit::kExclusive:
        return checksums ? &put_fast<FrameCommit::kExclusive, true> : &put_fast<FrameCommit::kExclusive, false>;
      case FrameCommit::kShared:
        return checksums ? &put_fast<FrameCommit::kShared, true> : &put_fast<FrameCommit::kShared, false>;
      case FrameCommit::kSharedSeqCst:
      case FrameCommit::kExclusiveSeqCst:
        break;
    }
    return &put_unhashed_of;
  }

  // The fast path's reservation failed: the general protocol.
  // noipa here and below: a clone with another return convention would make put_fast's tail call a call.
  [[gnu::noipa]] Status put_reserving_slowly(std::string_view key, std::string_view data,
                                                PutResult& result) noexcept {
    const uint32_t shard_index = map_.only_shard();
    Status status = fast_appender_->append_slow(key, data, footprint_of(key.size(), data.size()),
                                                clock_.arrival_ns(), result.sequence_number);
    if (status.code() == StatusCode::kShardClosed) [[unlikely]] {
      return put_routed_again(key, data, nullptr, result, /*admitted=*/true);
    }
    result.shard_index = shard_index;
    return status;
  }

  // The fast path's exclusive reservation at bailout_frame_ raced a reshard's close: padded, and routed again.
  [[gnu::noipa]] Status put_after_close(std::string_view key, std::string_view data, PutResult& result) noexcept {
    (void)fast_appender_->closed_after_exclusive_reservation(fast_appender_->offset_of(bailout_frame_),
                                                             footprint_of(key.size(), data.size()));
    return put_routed_again(key, data, nullptr, result, /*admitted=*/true);
  }

  // Routes a validated key. Steady state (no reshard since the last call): one shared load (the table
  // epoch), then either the stream's only open shard or a hit in the key cache; nothing else is touched.
  [[gnu::always_inline]] Status route(std::string_view key, const HashKey* explicit_hash_key,
                                      uint32_t& shard_index) noexcept {
    // acquire: pairs with the reshard's release increment of the epoch (the table we rebuild is that new).
    const uint64_t epoch = header_->shard_table_epoch.load(std::memory_order_acquire);
    if (epoch != map_.epoch()) [[unlikely]] {
      if (Status status = rebuild_map(); !status) return status;
    }
    return route_in_map(key, explicit_hash_key, shard_index);
  }

  // route() once the map is current.
  [[gnu::always_inline]] Status route_in_map(std::string_view key, const HashKey* explicit_hash_key,
                                             uint32_t& shard_index) noexcept {
    if (map_.only_shard() != layout::kNoShard) {
      shard_index = map_.only_shard();
      return Status::ok();
    }
    if (explicit_hash_key == nullptr && KeyCache::cacheable(key)) [[likely]] {
      bool hit = false;
      uint64_t key_hash = 0;
      KeyCache::Slot& slot = cache_.lookup(key, key_hash, hit);
      if (hit && slot.epoch == map_.epoch()) [[likely]] {
        shard_index = slot.shard_index;
        return Status::ok();
      }
      return route_cache_miss(key, slot, hit, key_hash, shard_index);
    }
    return route_by_hash(explicit_hash_key != nullptr ? *explicit_hash_key : md5_.hash(key), shard_index);
  }

  // put_fast's way to the general put (a stack frame, the key cache, throttling, encryption, long records).
  [[gnu::noipa]] Status put_unhashed(std::string_view key, std::string_view data, PutResult& result) noexcept {
    return put_general(key, data, nullptr, result);
  }

  // put_record in general: Kinesis's limits, then the footprint against the segment (a record must fit
  // one). The first attempt is inline here; a first put to a shard or a shard closed under us goes to
  // put_routed_again.
  [[gnu::noinline]] Status put_general(std::string_view key, std::string_view data, const HashKey* explicit_hash_key,
                                       PutResult& result) noexcept {
    // One unsigned compare each: an empty key wraps to the top of the range. A key of up to 256 bytes has at
    // most 256 characters; longer ones are counted in validate().
    if (key.size() - 1 >= kMaxPartitionKeyCharacters || key.size() + data.size() > kMaxRecordBytes) [[unlikely]] {
      if (Status status = validate(key, data); !status) return status;
    }
    // acquire: as in route(). A moved epoch (a reshard, or a start or stop of encryption, which changes the
    // record's trailers) takes the general path, which rebuilds before it sizes the record.
    if (header_->shard_table_epoch.load(std::memory_order_acquire) != map_.epoch()) [[unlikely]] {
      return put_routed_again(key, data, explicit_hash_key, result, /*admitted=*/false);
    }
    const uint64_t footprint = footprint_of(key.size(), data.size());
    if (footprint > max_footprint_) [[unlikely]] return does_not_fit();
    uint32_t shard_index = 0;
    if (Status status = route_in_map(key, explicit_hash_key, shard_index); !status) [[unlikely]] return status;
    // Fault injection and AWS-limits mode: off, this is the one test they cost (a member, re-read with the table).
    if (throttled_) [[unlikely]] {
      if (Status status = admit(shard_index, key.size() + data.size()); !status) {
        result.shard_index = shard_index;
        return status;
      }
    }
    ShardAppender* appender = appenders_[shard_index].get();
    if (appender == nullptr) [[unlikely]] return put_routed_again(key, data, explicit_hash_key, result, true);
    Status status = appender->append(key, data, footprint, result.sequence_number);
    if (status.code() == StatusCode::kShardClosed) [[unlikely]] {
      return put_routed_again(key, data, explicit_hash_key, result, true);
    }
    result.shard_index = shard_index;
    return status;
  }

  // Routes and appends until the record lands: the shard closed under us (the reshard bumped the table
  // epoch before closing it, so the next route() rebuilds the map and finds the child), the epoch moved, or
  // this is the first put to the shard. The record is sized after each route (its trailers may change).
  // `admitted`: throttling already let this record through (it is judged once, at its first route).
  [[gnu::noinline]] Status put_routed_again(std::string_view key, std::string_view data,
                                            const HashKey* explicit_hash_key, PutResult& result,
                                            bool admitted) noexcept {
    for (uint32_t attempt = 0; attempt < kMaxRouteAttempts; ++attempt) {
      uint32_t shard_index = 0;
      if (Status status = route(key, explicit_hash_key, shard_index); !status) return status;
      if (!admitted && throttled_) {
        admitted = true;
        if (Status status = admit(shard_index, key.size() + data.size()); !status) {
          result.shard_index = shard_index;
          return status;
        }
      }
      ShardAppender* appender = appender_for(shard_index);
      if (appender == nullptr) return Status(StatusCode::kInternalFailure, "out of memory creating a shard appender");
      const uint64_t footprint = appender->footprint(key.size(), data.size());
      if (!appender->fits(footprint)) return does_not_fit();
      Status status = appender->append(key, data, footprint, result.sequence_number);
      if (status.code() != StatusCode::kShardClosed) {
        result.shard_index = shard_index;
        return status;
      }
    }
    return Status(StatusCode::kInternalFailure, "shard kept closing while routing (reshard storm)");
  }

  // Characters of a UTF-8 key: the bytes that do not continue a character.
  static size_t key_characters(std::string_view key) noexcept {
    size_t characters = 0;
    for (const char c : key) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    return characters;
  }

  static Status validate(std::string_view key, std::string_view data) noexcept {
    if (key.empty() || key.size() > kMaxPartitionKeyBytes || key_characters(key) > kMaxPartitionKeyCharacters)
        [[unlikely]] {
      return Status(StatusCode::kInvalidArgument, "1 validation error detected: Value at 'partitionKey' failed to "
                                                  "satisfy constraint: Member must have length between 1 and 256");
    }
    if (key.size() + data.size() > kMaxRecordBytes) [[unlikely]] {
      return Status(StatusCode::kInvalidArgument, "1 validation error detected: Value at 'data' failed to satisfy "
                                                  "constraint: partition key + data must be at most 1048576 bytes");
    }
    return Status::ok();
  }

  // Bytes a record takes in this stream's log (header, key, data, the stream's trailers, alignment).
  uint64_t footprint_of(size_t key_length, size_t data_length) const noexcept {
    return layout::record_footprint(key_length, data_length, trailer_bytes_);
  }
  bool fits(size_t key_length, size_t data_length) const noexcept {
    return footprint_of(key_length, data_length) <= max_footprint_;
  }
  static Status does_not_fit() noexcept {
    return Status(StatusCode::kInvalidArgument, "a record does not fit in one segment of this stream");
  }

  // Kinesis validates a whole PutRecords request first: one bad entry fails it and nothing is written.
  Status validate_request(std::span<const PutRecordsEntry> entries) const noexcept {
    uint64_t request_bytes = 0;
    for (const auto& entry : entries) {
      if (Status status = validate(entry.partition_key, entry.data); !status) return status;
      if (!fits(entry.partition_key.size(), entry.data.size())) return does_not_fit();
      request_bytes += entry.partition_key.size() + entry.data.size();
    }
    if (request_bytes > kMaxPutRecordsRequestBytes) {
      return Status(StatusCode::kInvalidArgument, "PutRecords request is larger than 5 MiB");
    }
    return Status::ok();
  }

  // PutRecords after validation: entries are grouped by shard (request order kept within a shard) and each
  // group is appended with one reservation. Entries whose shard closed meanwhile are routed again.
  void put_grouped(std::span<const PutRecordsEntry> entries, std::span<PutRecordsResultEntry> results) noexcept {
    std::fill_n(pending_.begin(), entries.size(), true);
    for (uint32_t attempt = 0; attempt < kMaxRouteAttempts; ++attempt) {
      if (!route_pending(entries, results)) return;
      if (attempt == 0 && throttled_) [[unlikely]] admit_entries(entries, results);
      for (size_t first = 0; first < entries.size(); ++first) {
        if (pending_[first] && shard_of_[first] != layout::kNoShard) append_group_from(first, entries, results);
      }
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (pending_[i]) {
        results[i].status = Status(StatusCode::kInternalFailure, "shard kept closing while routing (reshard storm)");
      }
    }
  }

  void flush_metrics() noexcept {
    for (auto& appender : appenders_) {
      if (appender) appender->flush_metrics();
    }
  }

  const std::shared_ptr<Stream>& stream() const noexcept { return stream_; }

  bool encrypted() const noexcept { return encrypted_; }

 private:
  static constexpr uint32_t kMaxRouteAttempts = 64;

  Status rebuild_map() noexcept try {
    // cold: after a reshard, a throttling change or a start/stop of encryption
    map_.rebuild(state_.header(), state_.shard_table());
    refresh_throttling();
    if (Status status = refresh_encryption(); !status) {
      map_.invalidate();  // every put comes back here (and fails) until the key can be had
      fast_appender_ = nullptr;
      fast_epoch_ = kNoFastEpoch;
      return status;
    }
    update_fast_appender();
    return Status::ok();
  } catch (...) {
    return Status(StatusCode::kInternalFailure, "out of memory rebuilding the shard map");
  }

  // The stream's throttling settings, re-read whenever the table epoch moves (set_throttling bumps it).
  void refresh_throttling() noexcept {
    // relaxed: ordered after the epoch's acquire load by the route that called us.
    const uint32_t ppm = header_->injected_throttle_ppm.load(std::memory_order_relaxed);
    aws_limits_ = (header_->throttle_flags.load(std::memory_order_relaxed) & layout::kThrottleAwsLimits) != 0;
    injected_threshold_ = injected_threshold(ppm);
    throttled_ = aws_limits_ || ppm != 0;
  }

  // One record of `bytes` to `shard_index` under throttling: the injected dice, then the shard's limits.
  [[gnu::noinline]] Status admit(uint32_t shard_index, uint64_t bytes) noexcept {
    layout::ShardThroughput* lines = nullptr;
    if (aws_limits_ || injected_threshold_ != 0) {
      Status status;
      lines = state_.throughput(status);
      if (lines == nullptr && aws_limits_) return status;  // injection alone works without the counters
    }
    const bool refused = (next_random(random_state_) >> 32) < injected_threshold_ ||
                         (aws_limits_ && !admit_write(lines[shard_index], bytes));
    if (!refused) return Status::ok();
    // relaxed: a monitoring counter (WriteProvisionedThroughputExceeded).
    if (lines != nullptr) lines[shard_index].writes_refused.fetch_add(1, std::memory_order_relaxed);
    return Status(StatusCode::kThroughputExceeded, "Rate exceeded for shard");
  }

  // PutRecords under throttling: each routed entry is admitted or failed on its own, as Kinesis does.
  void admit_entries(std::span<const PutRecordsEntry> entries, std::span<PutRecordsResultEntry> results) noexcept {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!pending_[i]) continue;
      const Status status = admit(shard_of_[i], entries[i].partition_key.size() + entries[i].data.size());
      if (status) continue;
      results[i].status = status;
      results[i].result = PutResult{shard_of_[i], 0};
      pending_[i] = false;
    }
  }

  // Reads the stream's encryption state (cold: when the shard-table epoch moved, which every start and stop
  // of encryption bumps) and sets every appender to seal or not. A key this user cannot have fails with its
  // KMS status; the detail is key_message_ (valid until the next failure).
  Status refresh_encryption() noexcept try {
    // acquire: pairs with the start's release stores (the generation's slot is written before them).
    const bool encrypted = header_->encryption_type.load(std::memory_order_acquire) ==
                           static_cast<uint32_t>(layout::EncryptionType::kKms);
    const uint32_t generation = encrypted ? header_->key_generation.load(std::memory_order_acquire) : 0;
    if (encrypted) {
      const uint32_t slot = generation % layout::kKeyGenerationSlots;
      if (!cipher_) cipher_ = std::make_unique<FrameCipher>(FrameCipher::Direction::kSeal);
      if (cipher_->generation_in_slot(slot) != generation) {
        if (Status status = load_key_generation(*header_, slot, *cipher_, key_message_); !status) {
          key_message_ = "cannot encrypt records for stream " + state_.name() + ": " + key_message_;
          return Status(status.code(), key_message_.c_str());
        }
      }
    }
    encrypted_ = encrypted;
    FrameCipher* cipher = encrypted ? cipher_.get() : nullptr;
    for (auto& appender : appenders_) {
      if (appender) appender->set_encryption(cipher, generation);
    }
    encryption_generation_ = generation;
    trailer_bytes_ = layout::trailer_size(encrypted ? layout::encrypted_flags(stream_flags_, generation) : stream_flags_);
    return Status::ok();
  } catch (const std::exception& error) {
    key_message_ = error.what();
    return Status(StatusCode::kInternalFailure, key_message_.c_str());
  }

  // A cacheable key that missed (or was cached under an older table): its MD5 (kept if it was cached),
  // the shard, and the cache filled for next time.
  Status route_cache_miss(std::string_view key, KeyCache::Slot& slot, bool hit, uint64_t key_hash,
                          uint32_t& shard_index) noexcept {
    const HashKey hash_key = hit ? slot.hash_key : md5_.hash(key);
    if (Status status = route_by_hash(hash_key, shard_index); !status) return status;
    cache_.fill(slot, key, key_hash, hash_key, shard_index, map_.epoch());
    return Status::ok();
  }

  Status route_by_hash(HashKey hash_key, uint32_t& shard_index) const noexcept {
    shard_index = map_.find(hash_key);
    if (shard_index == layout::kNoShard) [[unlikely]] {
      return Status(StatusCode::kInternalFailure, "no open shard covers the hash key (shard table inconsistent)");
    }
    return Status::ok();
  }

  // Routes every pending entry under one shard-table epoch, so all records of a key in the request land
  // in one group: a group that finds its shard closed re-routes together, and per-key order holds. An
  // entry that cannot be routed is failed (no longer pending). Returns whether any entry is pending.
  bool route_pending(std::span<const PutRecordsEntry> entries, std::span<PutRecordsResultEntry> results) noexcept {
    for (;;) {
      bool any = false;
      bool one_epoch = true;
      uint64_t epoch = 0;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (!pending_[i]) continue;
        const HashKey* explicit_key = entries[i].explicit_hash_key ? &*entries[i].explicit_hash_key : nullptr;
        results[i].status = route(entries[i].partition_key, explicit_key, shard_of_[i]);
        if (!results[i].status) {
          pending_[i] = false;
          continue;
        }
        if (any && map_.epoch() != epoch) one_epoch = false;  // the table changed mid-way: route again
        epoch = map_.epoch();
        any = true;
      }
      if (one_epoch) return any;
    }
  }

  // Appends the pending entries routed to the shard of entry `first` (from `first` on) as one group. Those
  // written or failed are no longer pending; those whose shard closed stay pending for the next route.
  void append_group_from(size_t first, std::span<const PutRecordsEntry> entries,
                         std::span<PutRecordsResultEntry> results) noexcept {
    const uint32_t shard_index = shard_of_[first];
    group_.clear();
    group_entries_.clear();
    for (size_t i = first; i < entries.size(); ++i) {
      if (pending_[i] && shard_of_[i] == shard_index) {
        group_.push_back(AppendItem{entries[i].partition_key, entries[i].data, 0, Status::ok()});
        group_entries_.push_back(static_cast<uint32_t>(i));
      }
    }
    ShardAppender* appender = appender_for(shard_index);
    if (appender != nullptr) appender->append_group(group_);
    for (size_t g = 0; g < group_.size(); ++g) {
      const uint32_t i = group_entries_[g];
      PutRecordsResultEntry& result = results[i];
      result.status = appender != nullptr ? group_[g].status : Status(StatusCode::kInternalFailure, "out of memory");
      result.result = PutResult{shard_index, group_[g].sequence_number};
      pending_[i] = result.status.code() == StatusCode::kShardClosed;
      shard_of_[i] = layout::kNoShard;  // appended in this round; a pending one is routed again
    }
  }

  // Frames that producers which died before us left unfinished would block readers for good: the janitor
  // does not unblock frames while we live. Every other writer is dead (we hold the writers lock
  // exclusively), so they are padded now, without a timeout. Looked for in each shard's active segment and
  // the one before, where a recent death leaves them; older ones the janitor has settled while no exclusive
  // producer ran (docs/OPERATIONS.md).
  void settle_abandoned_frames_of_stream() {
    for (uint32_t shard_index = 0; shard_index < state_.shard_count(); ++shard_index) {
      const ShardLog& log = state_.log(shard_index);
      const uint64_t active = log.active_segment();
      const uint64_t horizon = log.trim_horizon();  // segments below it may be unlinked
      const uint64_t first = active > log.segment_number(horizon) ? active - 1 : active;
      const uint64_t settled = settle_abandoned_frames(log, std::max(horizon, first * log.segment_size()));
      if (settled != 0) {
        log.entry().unblocked_frames.fetch_add(settled, std::memory_order_relaxed);  // relaxed: monitoring counter
        log.wake_readers();
      }
    }
  }

  // The appender put_fast writes to: the only open shard's, once made, while nothing needs the general put
  // (throttling, encryption). Set again whenever the map is rebuilt or an appender made.
  void update_fast_appender() noexcept {
    const uint32_t only = map_.only_shard();
    fast_appender_ = only != layout::kNoShard && !throttled_ && !encrypted_ ? appenders_[only].get() : nullptr;
    fast_epoch_ = fast_appender_ != nullptr ? map_.epoch() : kNoFastEpoch;
  }

  ShardAppender* appender_for(uint32_t shard_index) noexcept {
    ShardAppender* appender = appenders_[shard_index].get();
    return appender != nullptr ? appender : make_appender(shard_index);
  }

  ShardAppender* make_appender(uint32_t shard_index) noexcept try {
    appenders_[shard_index] = std::make_unique<ShardAppender>(state_.log(shard_index), commit_, clock_);
    if (encryption_generation_ != 0) appenders_[shard_index]->set_encryption(cipher_.get(), encryption_generation_);
    update_fast_appender();
    return appenders_[shard_index].get();
  } catch (...) {
    return nullptr;
  }

  std::shared_ptr<Stream> stream_;
  StreamState& state_;
  const layout::StreamHeader* header_;  // the route's one shared load, without going through state_
  WriterLock writer_lock_;  // held for the producer's lifetime
  FrameCommit commit_;
  RealtimeClock clock_;  // arrival times of every shard's frames
  std::optional<TickingClockUser> ticking_clock_user_;  // unless exact arrival times are asked for
  bool throttled_ = false;   // injected throttling or AWS-limits mode is on (refresh_throttling)
  bool aws_limits_ = false;
  uint64_t injected_threshold_ = 0;
  uint64_t random_state_ = static_cast<uint64_t>(now_ns()) ^ reinterpret_cast<uintptr_t>(this);
  uint8_t stream_flags_;     // the stream's frame flags (checksums)
  uint32_t trailer_bytes_;   // trailers of the frames this producer writes now (checksum, tag)
  std::unique_ptr<FrameCipher> cipher_;  // made at the first encrypted put; one context for every shard
  uint32_t encryption_generation_ = 0;   // the key generation records are sealed under (0: plain)
  bool encrypted_ = false;               // the stream was encrypted at the last refresh_encryption()
  std::string key_message_;
  uint64_t max_footprint_;   // the largest frame a segment holds
  // put_fast's: see update_fast_appender(). fast_epoch_ is the map's epoch while there is a fast appender,
  // else one the table never has, so one compare checks both.
  static constexpr uint64_t kNoFastEpoch = ~uint64_t{0};
  ShardAppender* fast_appender_ = nullptr;
  uint64_t fast_epoch_ = kNoFastEpoch;
  // What put_fast hands to the slow step it leaves for (set only on the way there).
  uint8_t* bailout_frame_ = nullptr;
  Md5Hasher md5_;
  KeyCache cache_;
  ShardMap map_;
  std::vector<std::unique_ptr<ShardAppender>> appenders_;
  // PutRecords scratch, sized for the largest request once: no allocation per call.
  std::vector<uint32_t> shard_of_ = std::vector<uint32_t>(kMaxPutRecordsEntries);
  std::vector<bool> pending_ = std::vector<bool>(kMaxPutRecordsEntries);  // not yet written nor failed
  std::vector<AppendItem> group_ = reserved<AppendItem>(kMaxPutRecordsEntries);
  std::vector<uint32_t> group_entries_ = reserved<uint32_t>(kMaxPutRecordsEntries);

  template <typename T>
  static std::vector<T> reserved(size_t capacity) {
    std::vector<T> items;
    items.reserve(capacity);
    return items;
  }
};

}  // namespace detail

Producer::Producer(std::shared_ptr<Stream> stream, ProducerOptions options)
    : core_(std::make_unique<detail::ProducerCore>(std::move(stream), options)) {}
Producer::~Producer() = default;
Producer::Producer(Producer&&) noexcept = default;
Producer& Producer::operator=(Producer&&) noexcept = default;

Status Producer::put_record(std::string_view partition_key, std::string_view data, PutResult& result) noexcept {
  return core_->put_(*core_, partition_key, data, result);
}

Status Producer::put_record(std::string_view partition_key, std::string_view data, PutResult& result,
                            const HashKey* explicit_hash_key) noexcept {
  if (explicit_hash_key == nullptr) return core_->put_(*core_, partition_key, data, result);
  return core_->put_general(partition_key, data, explicit_hash_key, result);
}

uint32_t Producer::put_records(std::span<const PutRecordsEntry> entries, std::span<PutRecordsResultEntry> results,
                               Status& request_status) noexcept {
  request_status = Status::ok();
  if (entries.empty() || entries.size() > kMaxPutRecordsEntries) {
    request_status = Status(StatusCode::kInvalidArgument, "1 validation error detected: Value at 'records' failed to "
                                                          "satisfy constraint: Member must have length between 1 and 500");
  } else if (results.size() < entries.size()) {
    request_status = Status(StatusCode::kInvalidArgument, "results span is shorter than the entries");
  } else if (std::all_of(entries.begin(), entries.end(), [](const PutRecordsEntry& entry) {
               return detail::ProducerCore::inline_sized(entry.partition_key, entry.data);
             })) {
    // Valid by their sizes alone (at most 500 x 255 bytes): the usual case's one function, then the general
    // path for any it left.
    const size_t written = core_->put_group_(*core_, entries, results);
    if (written < entries.size()) core_->put_grouped(entries.subspan(written), results.subspan(written));
  } else {
    request_status = core_->validate_request(entries);
    if (request_status) core_->put_grouped(entries, results);
  }
  if (!request_status) {
    for (auto& result : results) result.status = request_status;
    return static_cast<uint32_t>(std::min(results.size(), entries.size()));
  }
  uint32_t failed = 0;
  for (size_t i = 0; i < entries.size(); ++i) failed += results[i].status.is_ok() ? 0 : 1;
  return failed;
}

Status Producer::route(std::string_view partition_key, const HashKey* explicit_hash_key,
                       uint32_t& shard_index) noexcept {
  if (Status status = detail::ProducerCore::validate(partition_key, {}); !status) return status;
  return core_->route(partition_key, explicit_hash_key, shard_index);
}

void Producer::flush_metrics() noexcept { core_->flush_metrics(); }

bool Producer::encrypted() const noexcept { return core_->encrypted(); }

const std::shared_ptr<Stream>& Producer::stream() const noexcept { return core_->stream(); }

}  // namespace shmstream
