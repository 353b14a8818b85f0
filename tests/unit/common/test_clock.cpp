// RealtimeClock: the TSC-extrapolated CLOCK_REALTIME used for arrival times and MillisBehindLatest.
#include <gtest/gtest.h>
#include <time.h>

#include <cstdint>

#include "common/realtime_clock.hpp"
#include "shmstream/stream.hpp"

namespace {

using shmstream::now_ns;  // clock_gettime(CLOCK_REALTIME)

// Every reading lies between two clock_gettime calls around it, give or take the clock's error: the
// bracketing pair of the anchor (< 1 us) plus the rate error over one anchor (< 1 us).
TEST(RealtimeClock, StaysWithinMicrosecondsOfClockGettime) {
  constexpr int64_t kToleranceNs = 5'000;
  shmstream::detail::RealtimeClock clock;
  const int64_t end = now_ns() + 300'000'000;  // 300 ms: the first rate, then many anchors
  uint64_t readings = 0;
  int64_t worst_error = 0;
  for (int64_t before = now_ns(); before < end; before = now_ns()) {
    const int64_t reading = clock.now_ns();
    const int64_t after = now_ns();
    if (after - before > 2'000) continue;  // preempted between the calls: the bracket proves nothing
    const int64_t error = reading < before ? before - reading : reading > after ? reading - after : 0;
    worst_error = std::max(worst_error, error);
    ++readings;
  }
  EXPECT_GT(readings, 10'000U);
  RecordProperty("worst_error_ns", static_cast<int>(worst_error));
  EXPECT_LE(worst_error, kToleranceNs) << "TSC path in use: " << shmstream::detail::RealtimeClock::tsc_usable();
}

TEST(RealtimeClock, FollowsTimeAcrossIdleGaps) {
  shmstream::detail::RealtimeClock clock;
  for (int gap = 0; gap < 5; ++gap) {
    const timespec pause{0, 3'000'000};  // longer than an anchor: the next reading re-anchors
    ::nanosleep(&pause, nullptr);
    const int64_t before = now_ns();
    const int64_t reading = clock.now_ns();
    const int64_t after = now_ns();
    EXPECT_GE(reading, before - 5'000);
    EXPECT_LE(reading, after + 5'000);
  }
}

}  // namespace
