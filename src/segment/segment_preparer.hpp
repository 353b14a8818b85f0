// Per-process background preparation of segments: creating a segment (the kernel allocates and zeroes
// every page) and mapping it (populating the page tables) cost tens of milliseconds for large segments of
// 4 KiB pages; a producer or reader that is an eighth into segment k asks for k+1 here, and a thread
// creates and maps it into the segment cache, so the roll itself is a CAS and a cache lookup. The request is wait-free and allocation-free: a few atomic
// slots and a futex wake (one system call per segment); if the slots are full the request is dropped and
// the roll does the work itself, as it would without a preparer.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

namespace shmstream::detail {

class SegmentStore;

class SegmentPreparer {
 public:
  explicit SegmentPreparer(SegmentStore& store) noexcept : store_(store) {}
  ~SegmentPreparer();
  SegmentPreparer(const SegmentPreparer&) = delete;
  SegmentPreparer& operator=(const SegmentPreparer&) = delete;

  // Producers create the next segment; readers only map it (creating is the writers' job, and two
  // processes racing to allocate the same 64 MiB waste the loser's work).
  enum class Work : uint8_t { kCreateAndMap = 0, kMapOnly = 1 };

  // Where in segment k a producer or reader asks for k+1: early, so the paced work (~150 ms for 64 MiB)
  // finishes before the roll even at full speed (a 64 MiB segment lasts ~200 ms at 3 M records/s of 64 B).
  static uint64_t request_offset(uint64_t segment_size) noexcept { return segment_size / 8; }

  // Asks for segment `number` of the shard to be mapped in this process (created first if asked). Never blocks.
  void request(uint32_t shard_index, uint64_t number, Work work) noexcept;
  // Starts the thread now rather than at the first request: a producer does so when it opens, so the thread
  // takes the affinity of the thread that opens it, not that of a put pinned after (docs/OPERATIONS.md).
  void start_now() noexcept { (void)start(); }
  // For tests: whether the thread was started.
  bool started() const noexcept { return running_; }
  // If the thread is preparing segment `number` of the shard right now, has it finish at full speed and
  // waits for that (a few ms at most) so that the caller finds the work done instead of doing it a second
  // time (a second 64 MiB file, or a second mapping, thrown away after). Called at a roll.
  void await_if_preparing(uint32_t shard_index, uint64_t number) noexcept;

 private:
  static constexpr int kSlots = 16;
  static constexpr uint64_t kShardBits = 12;  // shard indexes are below 4096
  static constexpr uint64_t kWorkBit = uint64_t{1} << kShardBits;
  static constexpr int64_t kIdleWaitNs = 100'000'000;
  static constexpr int64_t kParkedRetryNs = 1'000'000;
  static constexpr std::chrono::seconds kParkedFor{2};  // a producer that died before creating it
  static constexpr std::chrono::seconds kLongestAwait{2};
  static uint64_t segment_key(uint32_t shard_index, uint64_t number) noexcept {
    return ((number << kShardBits) | shard_index) + 1;
  }
  void run() noexcept;
  // Does one request; false: a map-only request for a segment that does not exist yet (retry later).
  bool prepare(uint64_t request) noexcept;
  bool start() noexcept;

  SegmentStore& store_;
  std::array<std::atomic<uint64_t>, kSlots> slots_{};  // (number << 13 | work << 12 | shard) + 1; 0 = free
  std::atomic<uint32_t> wake_word_{0};
  std::atomic<uint64_t> preparing_{0};  // segment_key() of the segment being prepared, 0 = none
  std::atomic<bool> stopping_{false};
  std::once_flag started_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace shmstream::detail
