#include "placement.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "clock.hpp"

namespace feed {

bool pin_to_cpu(int cpu) noexcept {
  if (cpu < 0) return true;  // not asked to pin
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

int online_cpus() noexcept { return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)); }

double cache_line_round_trip_ns(int cpu_a, int cpu_b) {
  constexpr int kRoundTrips = 20000;
  constexpr int kBatches = 7;
  alignas(64) std::atomic<uint64_t> ball{0};  // even: cpu_a's turn to serve, odd: cpu_b's
  std::atomic<bool> ready{false};
  std::vector<double> batches;
  std::thread echo([&] {
    pin_to_cpu(cpu_b);
    ready.store(true, std::memory_order_release);  // release: nothing to publish, just a start signal
    for (uint64_t expect = 1; expect < 2ull * kRoundTrips * kBatches; expect += 2) {
      // acquire/release: the ball itself is the only data; ordering keeps each hit a real cache-line transfer.
      while (ball.load(std::memory_order_acquire) != expect) __builtin_ia32_pause();
      ball.store(expect + 1, std::memory_order_release);
    }
  });
  pin_to_cpu(cpu_a);
  while (!ready.load(std::memory_order_acquire)) std::this_thread::yield();  // acquire: pairs with the start signal
  uint64_t value = 0;
  for (int batch = 0; batch < kBatches; ++batch) {
    const int64_t start = monotonic_ns();
    for (int i = 0; i < kRoundTrips; ++i) {
      ball.store(value + 1, std::memory_order_release);  // release: hand the line over
      value += 2;
      while (ball.load(std::memory_order_acquire) != value) __builtin_ia32_pause();  // acquire: its answer
    }
    batches.push_back(static_cast<double>(monotonic_ns() - start) / kRoundTrips);
  }
  echo.join();
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int cpu = 0; cpu < online_cpus(); ++cpu) CPU_SET(cpu, &all);
  ::sched_setaffinity(0, sizeof all, &all);  // the caller is not meant to stay pinned
  std::nth_element(batches.begin(), batches.begin() + kBatches / 2, batches.end());
  return batches[kBatches / 2];
}

const char* placement_class(double round_trip_ns) noexcept {
  if (round_trip_ns < 45) return "same-core";
  if (round_trip_ns < 160) return "shared-L3";
  return "cross-cluster";
}

}  // namespace feed
