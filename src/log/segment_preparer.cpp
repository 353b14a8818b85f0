#include "log/segment_preparer.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "stream/stream_state.hpp"
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
  // The thread starts with the first request (the first half-full segment), so handles that never write
  // or read far (CLI commands) never start one.
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

void SegmentPreparer::run() noexcept {
  // This thread inherited the CPU pinning of the producer or reader that started it: let it run anywhere
  // the process may run, at a lower priority, so allocating and mapping a segment never competes with the
  // pinned hot thread for its CPU.
  cpu_set_t anywhere;
  CPU_ZERO(&anywhere);
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < cpus && cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &anywhere);
  (void)::sched_setaffinity(0, sizeof anywhere, &anywhere);  // EINVAL inside a cpuset: keep the inherited one
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  while (!stopping_.load(std::memory_order_acquire)) {  // acquire: pairs with the destructor's release
    const uint32_t key = wake_word_.load(std::memory_order_acquire);  // acquire: requests posted before it
    bool worked = false;
    for (auto& slot : slots_) {
      const uint64_t request = slot.exchange(0, std::memory_order_acquire);  // acquire: the request's value
      if (request == 0) continue;
      worked = true;
      const auto shard_index = static_cast<uint32_t>((request - 1) & (kWorkBit - 1));
      const uint64_t number = (request - 1) >> (kShardBits + 1);
      // A request the shard has already rolled past (a fast producer, tiny segments) would only recreate a
      // segment that may be trimmed by now.
      if (layout::load_active_segment(stream_.shard(shard_index)) >= number) continue;
      if (((request - 1) & kWorkBit) == 0) {
        (void)stream_.create_segment(shard_index, number);  // a full filesystem shows at the roll instead
      }
      std::shared_ptr<MappedSegment> mapped;
      (void)stream_.segment(shard_index, number, mapped);  // into the process's cache, pages populated
    }
    if (!worked) futex_wait(wake_word_, key, 100'000'000);
  }
}

}  // namespace shmstream::detail
