// CLOCK_REALTIME for the hot path at the cost of one TSC read. A vDSO clock_gettime costs ~32 ns on this
// KVM guest (~20 % of a put), rdtsc ~12 ns. The clock re-anchors on clock_gettime every millisecond and
// measures the TSC rate against it over 1-2 s windows, so its error stays within tens of nanoseconds and
// NTP's slewing and steps reach it within a millisecond.
//
// Used only where the kernel itself trusts the TSC (x86-64, current clocksource "tsc": invariant and
// synchronised across CPUs); elsewhere every call is a clock_gettime. Not thread-safe: one per thread-owned
// object (a producer, a reader cursor).
#pragma once

#include <atomic>
#include <cstdint>

#include "common/ticking_clock.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace shmstream::detail {

class RealtimeClock {
 public:
  // ns since the Unix epoch.
  int64_t now_ns() noexcept {
#if defined(__x86_64__)
    const uint64_t elapsed = __rdtsc() - anchor_tsc_;
    // Unsigned: a TSC behind the anchor (another CPU's view, a migration) wraps to huge and re-anchors too.
    if (elapsed < anchor_valid_ticks_) [[likely]] {
      return anchor_ns_ + static_cast<int64_t>((elapsed * ns_per_tick_q32_) >> 32);
    }
#endif
    return reanchor();
  }

  // now_ns() when it needs no re-anchoring (the caller's fast path stays free of calls); false otherwise,
  // and the caller takes its slow path, which calls now_ns().
  [[gnu::always_inline]] bool try_now_ns(int64_t& ns) noexcept {
#if defined(__x86_64__)
    const uint64_t elapsed = __rdtsc() - anchor_tsc_;
    ns = anchor_ns_ + static_cast<int64_t>((elapsed * ns_per_tick_q32_) >> 32);
    return elapsed < anchor_valid_ticks_;  // unsigned, as in now_ns()
#else
    (void)ns;
    return false;
#endif
  }
  // A put's arrival time: the ticking clock's stamp while it ticks (one load), else try_now_ns().
  [[gnu::always_inline]] bool try_arrival_ns(int64_t& ns) noexcept {
    ns = ticker_->stamp_ns.load(std::memory_order_relaxed);  // relaxed: a time value, orders nothing
    if (ns != 0) [[likely]] return true;
    return try_now_ns(ns);
  }
  // try_arrival_ns() with the re-anchoring, for the paths that may call.
  int64_t arrival_ns() noexcept {
    int64_t ns;
    return try_arrival_ns(ns) ? ns : now_ns();
  }
  // Records put with these arrival times, for the ticking clock's rate (at a metrics flush).
  void report_records(uint64_t records) noexcept { detail::report_records(*ticker_, records); }
  // Where arrival times come from: ticking_clock_line() or never_ticking_line() (exact: always now_ns()).
  void stamp_from(TickerLine& line) noexcept { ticker_ = &line; }

  // Whether now_ns() reads the TSC on this machine (false: every call is a clock_gettime).
  static bool tsc_usable() noexcept;

 private:
  int64_t reanchor() noexcept;
  void restart_rate_window(uint64_t tsc, int64_t ns) noexcept;

  TickerLine* ticker_ = &never_ticking_line();
  uint64_t anchor_tsc_ = 0;
  int64_t anchor_ns_ = 0;
  uint64_t anchor_valid_ticks_ = 0;  // 0 until the rate is known: every call re-anchors (= clock_gettime)
  uint64_t ns_per_tick_q32_ = 0;     // ns per TSC tick, 32.32 fixed point
  // The rate is measured from `window_start` to each new anchor; the window restarts at `window_middle`
  // when it passes 2 s, so it always spans 1-2 s once the clock has run that long.
  uint64_t window_start_tsc_ = 0;
  int64_t window_start_ns_ = 0;
  uint64_t window_middle_tsc_ = 0;
  int64_t window_middle_ns_ = 0;
};

}  // namespace shmstream::detail
