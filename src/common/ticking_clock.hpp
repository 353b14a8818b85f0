// The process's ticking clock: while producers put, a thread stores CLOCK_REALTIME into one cache line every
// 100 us, and a put takes its arrival time from that line with one relaxed load instead of an `rdtsc`
// (15-19 ns on a KVM guest, the costliest step of a put: docs/PERFORMANCE.md "Limits"). Aeron's cached
// clocks do the same for its conductors; Kinesis gives ApproximateArrivalTimestamp to the millisecond.
//
// The thread ticks only while puts come. Idle (no put for 10 ms), it stores 0 and looks for puts every
// 10 ms; meanwhile a put reads the exact clock (RealtimeClock) and sets `put_seen`, which starts the ticks.
// So a stamp is exact or at most one tick old (while the thread gets a CPU), and an idle process wakes 100
// times a second. The thread runs while a user (a producer) lives and exits after 1 s without one.
//
// Process memory, not shared between processes: no layout version. After fork() the child has no thread:
// its line reads 0 (exact clock) until a new user starts one.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmstream::detail {

struct alignas(64) TickerLine {
  std::atomic<int64_t> stamp_ns{0};     // ns since the epoch; 0: not ticking, read the exact clock
  std::atomic<uint32_t> put_seen{0};    // set by puts, cleared by the thread on each look
};
static_assert(sizeof(TickerLine) == 64, "one cache line, shared by nothing else");

// The line the thread ticks. A producer that wants exact arrival times reads `never_ticking_line()`, whose stamp stays 0.
TickerLine& ticking_clock_line() noexcept;
TickerLine& never_ticking_line() noexcept;

// Held by each producer that stamps from the ticking clock: the thread runs while one lives.
class TickingClockUser {
 public:
  TickingClockUser() noexcept;
  ~TickingClockUser();
  TickingClockUser(const TickingClockUser&) = delete;
  TickingClockUser& operator=(const TickingClockUser&) = delete;
};

// For tests: whether the thread exists (the line says whether it ticks).
bool ticking_clock_thread_running() noexcept;

}  // namespace shmstream::detail
