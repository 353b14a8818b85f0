// The process's ticking clock: while this process's producers put more than 4 M records a second, a thread
// stores CLOCK_REALTIME into one cache line every 100 us, and a put takes its arrival time from that line
// with one relaxed load instead of an `rdtsc` (15-19 ns on a KVM guest, the costliest step of a put:
// docs/PERFORMANCE.md "Limits"). Aeron's cached clocks do the same for its conductors; Kinesis gives
// ApproximateArrivalTimestamp to the millisecond.
//
// Below that rate the line reads 0 and a put reads the exact clock (RealtimeClock): a tick preempts whatever
// runs on the thread's CPU (a few microseconds, ten thousand times a second), which costs a pinned, spinning
// consumer or producer more in latency than the clock reads save (measured: ping-pong p99 1.1 -> 10 us when
// it ticked at any rate). Producers report the records they put at their metrics flushes (every 64 KiB of
// log); the thread measures the rate over 10 ms windows, starts ticking at 4 M records/s and stops below 2 M.
// So a stamp is exact, or at most one tick old while the thread gets a CPU. SHMSTREAM_TICKING_CLOCK=always
// ticks at any rate, =never never (auto is the default). The thread runs while a user (a producer) lives,
// wakes 100 times a second while it does not tick, and exits within 1 s once no user is left.
//
// Process memory, not shared between processes: no layout version. After fork() the child has no thread:
// its line reads 0 (exact clock) until a new user starts one.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmstream::detail {

struct alignas(64) TickerLine {
  std::atomic<int64_t> stamp_ns{0};  // ns since the epoch; 0: not ticking, read the exact clock
  std::atomic<uint64_t> records{0};  // records put by the process's producers, as they reported them
};
static_assert(sizeof(TickerLine) == 64, "one cache line, shared by nothing else");

// The line the thread ticks. A producer that wants exact arrival times reads `never_ticking_line()`, whose
// stamp stays 0 and which takes no reports.
TickerLine& ticking_clock_line() noexcept;
TickerLine& never_ticking_line() noexcept;

// Adds `records` put to the line's count (at a producer's metrics flush).
void report_records(TickerLine& line, uint64_t records) noexcept;

// Held by each producer that stamps from the ticking clock: the thread runs while one lives. Throws
// Error(InvalidArgument) when SHMSTREAM_TICKING_CLOCK is not auto, always or never.
class TickingClockUser {
 public:
  TickingClockUser();
  ~TickingClockUser();
  TickingClockUser(const TickingClockUser&) = delete;
  TickingClockUser& operator=(const TickingClockUser&) = delete;
};

// For tests: whether the thread exists (the line says whether it ticks).
bool ticking_clock_thread_running() noexcept;

}  // namespace shmstream::detail
