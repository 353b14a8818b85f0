// The one wait loop of every reader: until `ready` says so or the timeout passes, spin, yield, back off or
// sleep on an eventcount, with one meaning of each WaitStrategy and one clock (CLOCK_MONOTONIC).
//
//   kBusySpin  look again at once (the clock is read every 64 looks)
//   kYield     sched_yield between looks
//   kBackoff   64 looks spinning, then 64 yielding, then sleeps growing by 10 us up to 1 ms
//   kBlock     sleep on the eventcount (eventcount.hpp) until a producer wakes it, at most `longest_sleep`
//              at a time so that changes nobody signals (a reshard) are noticed
#pragma once

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/system_clocks.hpp"
#include "shmstream/record.hpp"
#include "shmstream/status.hpp"
#include "wait/eventcount.hpp"

namespace shmstream::detail {

struct EventcountWords {
  std::atomic<uint32_t>& word;
  std::atomic<uint32_t>& waiter_count;
};

// `ready(order)` is true once there is something to read; `order` is seq_cst for the eventcount's re-check
// after registering as a waiter, acquire otherwise. Returns ok when ready, kTimeout otherwise; throws only
// what `ready` throws.
template <class Ready>
Status await(WaitStrategy strategy, std::chrono::nanoseconds timeout, EventcountWords eventcount, Ready&& ready,
             int64_t longest_sleep_ns = 100'000'000) noexcept(noexcept(ready(std::memory_order_acquire))) {
  const int64_t deadline = monotonic_ns() + timeout.count();
  for (uint32_t round = 1;; ++round) {
    if (ready(std::memory_order_acquire)) return Status::ok();
    const bool read_clock = strategy != WaitStrategy::kBusySpin || (round & 63) == 0;
    const int64_t now = read_clock ? monotonic_ns() : 0;
    if (read_clock && now >= deadline) return Status(StatusCode::kTimeout, "nothing arrived before the timeout");
    switch (strategy) {
      case WaitStrategy::kBusySpin:
        break;
      case WaitStrategy::kYield:
        sched_yield();
        break;
      case WaitStrategy::kBackoff:
        if (round <= 64) break;
        if (round <= 128) {
          sched_yield();
          break;
        }
        {
          const int64_t sleep_ns = std::min<int64_t>({int64_t{1'000'000}, int64_t{round - 128} * 10'000, deadline - now});
          const timespec pause{0, static_cast<long>(sleep_ns)};
          (void)::nanosleep(&pause, nullptr);  // EINTR: just a shorter sleep
        }
        break;
      case WaitStrategy::kBlock: {
        // acquire: read the word before re-checking, so a wake after our check changes it (no lost wake).
        const uint32_t key = eventcount.word.load(std::memory_order_acquire);
        // seq_cst: pairs with the producer's seq_cst commit + waiter-count load (eventcount protocol).
        eventcount.waiter_count.fetch_add(1, std::memory_order_seq_cst);
        barrier_against_plain_publishers();  // an exclusive producer's release commit (eventcount.hpp)
        if (!ready(std::memory_order_seq_cst)) {
          futex_wait(eventcount.word, key, std::min<int64_t>(deadline - now, longest_sleep_ns));
        }
        // relaxed: only the count matters to producers, not what we did before leaving.
        eventcount.waiter_count.fetch_sub(1, std::memory_order_relaxed);
        break;
      }
    }
  }
}

}  // namespace shmstream::detail
