#include "log/segment_preparer.hpp"

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

void SegmentPreparer::request(uint32_t shard_index, uint64_t number) noexcept {
  if (!start()) return;
  const uint64_t request = ((number << kShardBits) | shard_index) + 1;
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
  while (!stopping_.load(std::memory_order_acquire)) {  // acquire: pairs with the destructor's release
    const uint32_t key = wake_word_.load(std::memory_order_acquire);  // acquire: requests posted before it
    bool worked = false;
    for (auto& slot : slots_) {
      const uint64_t request = slot.exchange(0, std::memory_order_acquire);  // acquire: the request's value
      if (request == 0) continue;
      worked = true;
      const auto shard_index = static_cast<uint32_t>((request - 1) & ((uint64_t{1} << kShardBits) - 1));
      const uint64_t number = (request - 1) >> kShardBits;
      (void)stream_.create_segment(shard_index, number);  // may fail (read-only reader, full filesystem)
      std::shared_ptr<MappedSegment> mapped;
      (void)stream_.segment(shard_index, number, mapped);  // into the process's cache, pages populated
    }
    if (!worked) futex_wait(wake_word_, key, 100'000'000);
  }
}

}  // namespace shmstream::detail
