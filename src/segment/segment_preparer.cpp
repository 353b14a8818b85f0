#include "segment/segment_preparer.hpp"

#include <sched.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <ctime>

#include "segment/segment_store.hpp"
#include "wait/eventcount.hpp"

namespace shmstream::detail {

SegmentPreparer::~SegmentPreparer() {
  if (!running_) return;
  stopping_.store(true, std::memory_order_release);  // release: the thread sees it after its wake
  wake_word_.fetch_add(1, std::memory_order_release);
  futex_wake_all(wake_word_);
  thread_.join();
}

bool SegmentPreparer::start() noexcept {
  // A producer starts the thread when it opens (start_now()); a reader at its first request (the first segment
  // an eighth full), so reading handles that never read far (CLI commands) never start one.
  std::call_once(started_, [this] {
    try {
      thread_ = std::thread([this] { run(); });
      running_ = true;
    } catch (...) {
      running_ = false;  // no thread: every roll prepares its own segment
    }
  });
  return running_;
}

void SegmentPreparer::request(uint32_t shard_index, uint64_t number, Work work) noexcept {
  if (!start()) return;
  const uint64_t request =
      ((number << (kShardBits + 1)) | (work == Work::kMapOnly ? kWorkBit : 0) | shard_index) + 1;
  for (auto& slot : slots_) {
    uint64_t expected = 0;
    // release: the preparer that takes the slot (acquire) sees a complete request.
    if (slot.compare_exchange_strong(expected, request, std::memory_order_release, std::memory_order_relaxed)) {
      wake_word_.fetch_add(1, std::memory_order_release);  // release: pairs with the preparer's acquire load
      futex_wake_all(wake_word_);
      return;
    }
    if (expected == request) return;  // already asked for
  }
}

void SegmentPreparer::await_if_preparing(uint32_t shard_index, uint64_t number) noexcept {
  const uint64_t key = segment_key(shard_index, number);
  // acquire: once it reads otherwise, the preparer's work on the segment (file, cache entry) is visible.
  if (preparing_.load(std::memory_order_acquire) != key) return;
  paced_work_awaited.fetch_add(1, std::memory_order_relaxed);  // relaxed: a hint (pacing.hpp)
  const auto give_up = std::chrono::steady_clock::now() + kLongestAwait;
  while (preparing_.load(std::memory_order_acquire) == key && std::chrono::steady_clock::now() < give_up) {
    const timespec pause{0, 20'000};  // lets the preparer have this CPU if it shares it
    (void)::nanosleep(&pause, nullptr);
  }
  paced_work_awaited.fetch_sub(1, std::memory_order_relaxed);
}

bool SegmentPreparer::prepare(uint64_t request) noexcept {
  const auto shard_index = static_cast<uint32_t>((request - 1) & (kWorkBit - 1));
  const uint64_t number = (request - 1) >> (kShardBits + 1);
  const bool map_only = ((request - 1) & kWorkBit) != 0;
  // relaxed: only tells a roll to wait; `done` clears it with release when the work is visible.
  preparing_.store(segment_key(shard_index, number), std::memory_order_relaxed);
  struct Done {
    std::atomic<uint64_t>& preparing;
    ~Done() { preparing.store(0, std::memory_order_release); }
  } done{preparing_};
  // acquire: a published active segment exists.
  const uint64_t active = store_.active_segment(shard_index);
  if (!map_only) {
    // Once the shard has rolled past `number` (a fast producer, tiny segments), creating it would only
    // recreate a segment that may be trimmed by now, and this process's producer no longer needs it.
    if (active > number) return true;
    if (active < number) (void)store_.create_paced(shard_index, number);  // ENOSPC: at the roll
  }
  std::shared_ptr<MappedSegment> mapped;
  const Status status = store_.map_paced(shard_index, number, mapped);  // into the process's cache
  // A reader in the segment its producer is writing asks before that producer's preparer has
  // created the next one: not there yet, ask again shortly (else the reader would map it at the roll).
  // A create request that failed (a full filesystem) is not retried here: the roll reports the error.
  return !map_only || status.is_ok() || status.code() != StatusCode::kResourceNotFound || active >= number;
}

void SegmentPreparer::run() noexcept {
  // This thread inherited the CPU pinning of the producer or reader that started it: let it run anywhere
  // the process may run, so it does not take its time from that one thread. Not at a lower priority: with
  // every CPU busy with spinning threads a niced preparer gets ~10 % of one, finishes after the roll, and
  // the hot thread does the work itself (measured: -25 % throughput). Pacing keeps its slices short instead.
  cpu_set_t anywhere;
  CPU_ZERO(&anywhere);
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < cpus && cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &anywhere);
  (void)::sched_setaffinity(0, sizeof anywhere, &anywhere);  // EINVAL inside a cpuset: keep the inherited one
  struct Parked {
    uint64_t request = 0;
    std::chrono::steady_clock::time_point give_up;
  };
  std::array<Parked, kSlots> parked{};  // map-only requests for segments not created yet
  while (!stopping_.load(std::memory_order_acquire)) {  // acquire: pairs with the destructor's release
    const uint32_t key = wake_word_.load(std::memory_order_acquire);  // acquire: requests posted before it
    bool waiting = false;
    for (Parked& entry : parked) {
      if (entry.request == 0) continue;
      if (prepare(entry.request) || std::chrono::steady_clock::now() > entry.give_up) {
        entry.request = 0;
      } else {
        waiting = true;
      }
    }
    bool worked = false;
    for (size_t i = 0; i < slots_.size(); ++i) {
      const uint64_t request = slots_[i].exchange(0, std::memory_order_acquire);  // acquire: the request's value
      if (request == 0) continue;
      worked = true;
      if (!prepare(request) && parked[i].request == 0) {  // a second one waiting there: left to the roll
        parked[i] = Parked{request, std::chrono::steady_clock::now() + kParkedFor};
        waiting = true;
      }
    }
    store_.kept_mappings().drop_unlinked();  // trimmed files must not stay alive through our mappings
    if (!worked) futex_wait(wake_word_, key, waiting ? kParkedRetryNs : kIdleWaitNs);
  }
}

}  // namespace shmstream::detail
