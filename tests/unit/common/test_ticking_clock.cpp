// The ticking clock behind arrival times: ticks while records come fast, within a tick of clock_gettime;
// exact below that rate; its thread leaves with its last user; a forked child reads the exact clock.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/realtime_clock.hpp"
#include "common/ticking_clock.hpp"
#include "shmstream/clock.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

namespace {

using shmstream::now_ns;
using namespace shmstream::detail;

void sleep_ns(long ns) {
  const timespec pause{ns / 1'000'000'000, ns % 1'000'000'000};
  ::nanosleep(&pause, nullptr);
}

int64_t ticked_stamp() { return ticking_clock_line().stamp_ns.load(std::memory_order_relaxed); }

// Reports records as a producer would at its metrics flushes, far above the rate that starts the ticks,
// until the thread ticks; false after 5 s.
bool report_until_ticking(RealtimeClock& clock) {
  const int64_t give_up = now_ns() + 5'000'000'000;
  while (ticked_stamp() == 0 && now_ns() < give_up) {
    clock.report_records(1'000);
    sleep_ns(10'000);
  }
  return ticked_stamp() != 0;
}

// A bracketed reading between clock_gettime calls: never ahead of the clock (5 us: the exact clock's error,
// test_clock.cpp), never behind it by more than `slack_ns`. Returns how far behind it was.
int64_t bracketed_lag(RealtimeClock& clock, int64_t slack_ns) {
  const int64_t before = now_ns();
  const int64_t reading = clock.arrival_ns();
  const int64_t after = now_ns();
  EXPECT_LE(reading, after + 5'000);
  EXPECT_GE(reading, before - slack_ns);
  return std::max<int64_t>(0, before - reading);
}

TEST(TickingClock, TicksOnlyWhileRecordsComeFast) {
  TickingClockUser user;
  RealtimeClock clock;
  clock.stamp_from(ticking_clock_line());
  sleep_ns(50'000'000);  // records of an earlier test may still keep it ticking for a window or two
  // 50 k records a second, for 200 ms: below the rate that starts the ticks; every reading is exact.
  for (int64_t end = now_ns() + 200'000'000; now_ns() < end;) {
    clock.report_records(1);
    (void)bracketed_lag(clock, 5'000);
    EXPECT_EQ(ticked_stamp(), 0);
    sleep_ns(20'000);
  }
  // 100 M records a second start it; then readings are the ticks. 20 ms of slack: a loaded machine may keep
  // the thread from a CPU for a while; the median says how far behind it usually is.
  ASSERT_TRUE(report_until_ticking(clock));
  std::vector<int64_t> lags;
  for (int64_t end = now_ns() + 300'000'000; now_ns() < end;) {
    clock.report_records(1'000);
    if (ticked_stamp() != 0) lags.push_back(bracketed_lag(clock, 20'000'000));
    sleep_ns(10'000);
  }
  ASSERT_GT(lags.size(), 100U);
  std::nth_element(lags.begin(), lags.begin() + lags.size() / 2, lags.end());
  RecordProperty("median_lag_ns", static_cast<int>(lags[lags.size() / 2]));
  EXPECT_LT(lags[lags.size() / 2], 1'000'000);
  // Without records, it stops within a window or two (10 ms each): readings come from the exact clock.
  sleep_ns(100'000'000);
  EXPECT_EQ(ticked_stamp(), 0);
}

TEST(TickingClock, AnExactClockNeverReadsTheTicks) {
  TickingClockUser user;
  RealtimeClock clock;  // never_ticking_line() unless told otherwise
  RealtimeClock ticked;
  ticked.stamp_from(ticking_clock_line());
  ASSERT_TRUE(report_until_ticking(ticked));
  for (int i = 0; i < 1000; ++i) (void)bracketed_lag(clock, 5'000);
}

TEST(TickingClock, ThreadLeavesWithItsLastUserAndComesBackWithTheNext) {
  {
    TickingClockUser user;
    EXPECT_TRUE(ticking_clock_thread_running());
  }
  bool left = false;
  for (int i = 0; i < 500 && !left; ++i) {  // it leaves after 1 s idle without a user
    sleep_ns(10'000'000);
    left = !ticking_clock_thread_running();
  }
  EXPECT_TRUE(left);
  EXPECT_EQ(ticked_stamp(), 0);
  TickingClockUser next;
  EXPECT_TRUE(ticking_clock_thread_running());
}

TEST(TickingClock, ForkedChildReadsTheExactClockUntilItStartsItsOwn) {
  TickingClockUser user;
  RealtimeClock clock;
  clock.stamp_from(ticking_clock_line());
  ASSERT_TRUE(report_until_ticking(clock));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The parent's thread is not here: no stamp, and readings are exact, however long the pause.
    int failures = ticked_stamp() == 0 ? 0 : 1;
    sleep_ns(20'000'000);
    const int64_t before = now_ns();
    failures += clock.arrival_ns() >= before - 5'000 ? 0 : 2;
    TickingClockUser own;
    failures += report_until_ticking(clock) ? 0 : 4;
    ::_exit(failures);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: stamp inherited, 2: stale reading, 4: no ticks of its own";
}

// Through a producer: the default stamps many puts with one tick; exact_arrival_times stamps each record
// from the clock, between the clock readings around its put.
TEST(TickingClock, ProducersStampFromTheTicksUnlessAskedForExactTimes) {
  shmstream::test::TempRoot root;
  auto stream = shmstream::Stream::create("s", shmstream::StreamOptions{}, root.path());
  for (const bool exact : {false, true}) {
    shmstream::Producer producer(stream, shmstream::ProducerOptions{.exact_arrival_times = exact});
    shmstream::PutResult result;
    ASSERT_TRUE(producer.put_record("k", "mark", result).is_ok());
    // Puts back to back (~10 M a second) start the ticks within a window or two.
    for (const int64_t give_up = now_ns() + 5'000'000'000; !exact && ticked_stamp() == 0 && now_ns() < give_up;) {
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE(producer.put_record("k", "warm", result).is_ok());
    }
    ASSERT_TRUE(exact || ticked_stamp() != 0);
    const uint64_t first = result.sequence_number;
    const int64_t before = now_ns();
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(producer.put_record("k", "data", result).is_ok());
    const int64_t after = now_ns();
    shmstream::ShardReader reader(stream, 0, shmstream::IteratorStart{shmstream::IteratorType::kAfterSequenceNumber, first});
    shmstream::RecordBatch batch;
    ASSERT_TRUE(reader.get_records(batch, 1000).is_ok());
    ASSERT_EQ(batch.records.size(), 1000U);
    std::vector<int64_t> times;
    for (const auto& record : batch.records) times.push_back(record.arrival_ns);
    EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
    EXPECT_LE(times.back(), after + 5'000);
    const size_t distinct = static_cast<size_t>(std::unique(times.begin(), times.end()) - times.begin());
    if (exact) {
      EXPECT_GE(times.front(), before - 5'000);
      EXPECT_GT(distinct, 900U);  // ~100 ns apart: nearly every put has a time of its own
    } else {
      EXPECT_GE(times.front(), before - 20'000'000);
      // A thousand puts take well under a millisecond: a few ticks, unless preempted for long.
      EXPECT_LT(distinct, 500U);
    }
  }
}

}  // namespace
