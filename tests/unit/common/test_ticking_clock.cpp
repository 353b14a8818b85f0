// The ticking clock behind arrival times: ticks while puts come, within a tick of clock_gettime; idle (exact
// clock) without puts; its thread leaves with its last user; a forked child reads the exact clock.
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

// Puts (arrival readings) every 20 us for `duration_ns`; returns how far behind clock_gettime each ticked
// reading was. A reading is never ahead of the clock, nor behind it by more than `slack_ns`.
std::vector<int64_t> ticked_lags(RealtimeClock& clock, int64_t duration_ns, int64_t slack_ns) {
  std::vector<int64_t> lags;
  const int64_t end = now_ns() + duration_ns;
  for (int64_t before = now_ns(); before < end; before = now_ns()) {
    const bool ticked = ticked_stamp() != 0;
    int64_t reading = 0;
    const bool read = clock.try_arrival_ns(reading);
    const int64_t after = now_ns();
    if (read) {
      EXPECT_LE(reading, after + 5'000);  // 5 us: the exact clock's error (test_clock.cpp)
      EXPECT_GE(reading, before - slack_ns);
      if (ticked) lags.push_back(std::max<int64_t>(0, before - reading));
    }
    sleep_ns(20'000);
  }
  return lags;
}

TEST(TickingClock, TicksWhilePutsComeAndGoesIdleWithout) {
  TickingClockUser user;
  RealtimeClock clock;
  clock.stamp_from(ticking_clock_line());
  sleep_ns(50'000'000);  // no puts: idle
  EXPECT_EQ(ticked_stamp(), 0);
  // Puts start it within a look (10 ms); then readings are the ticks. 20 ms of slack: a loaded machine may
  // keep the thread from a CPU for a while; the median says how far behind it usually is.
  std::vector<int64_t> lags = ticked_lags(clock, 300'000'000, 20'000'000);
  ASSERT_GT(lags.size(), 100U);
  std::nth_element(lags.begin(), lags.begin() + lags.size() / 2, lags.end());
  RecordProperty("median_lag_ns", static_cast<int>(lags[lags.size() / 2]));
  EXPECT_LT(lags[lags.size() / 2], 1'000'000);
  // Without puts for 10 ms it goes idle again: readings come from the exact clock.
  sleep_ns(100'000'000);
  EXPECT_EQ(ticked_stamp(), 0);
}

TEST(TickingClock, AnExactClockNeverReadsTheTicks) {
  TickingClockUser user;
  RealtimeClock clock;  // never_ticking_line() unless told otherwise
  RealtimeClock ticked;
  ticked.stamp_from(ticking_clock_line());
  int64_t ignored = 0;
  for (int i = 0; i < 1000 && ticked_stamp() == 0; ++i) {
    (void)ticked.try_arrival_ns(ignored);
    sleep_ns(1'000'000);
  }
  ASSERT_NE(ticked_stamp(), 0);
  for (int i = 0; i < 1000; ++i) {
    const int64_t before = now_ns();
    const int64_t reading = clock.arrival_ns();
    const int64_t after = now_ns();
    EXPECT_GE(reading, before - 5'000);
    EXPECT_LE(reading, after + 5'000);
  }
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
  int64_t reading = 0;
  for (int i = 0; i < 1000 && ticked_stamp() == 0; ++i) {
    (void)clock.try_arrival_ns(reading);
    sleep_ns(1'000'000);
  }
  ASSERT_NE(ticked_stamp(), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The parent's thread is not here: no stamp, and readings are exact, however long the pause.
    int failures = ticked_stamp() == 0 ? 0 : 1;
    sleep_ns(20'000'000);
    const int64_t before = now_ns();
    failures += clock.arrival_ns() >= before - 5'000 ? 0 : 2;
    TickingClockUser own;
    int i = 0;
    for (; i < 1000 && ticked_stamp() == 0; ++i) {
      (void)clock.try_arrival_ns(reading);
      sleep_ns(1'000'000);
    }
    failures += ticked_stamp() != 0 ? 0 : 4;
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
    for (int i = 0; i < 1000 && !exact && ticked_stamp() == 0; ++i) {
      ASSERT_TRUE(producer.put_record("k", "warm", result).is_ok());
      sleep_ns(1'000'000);
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
