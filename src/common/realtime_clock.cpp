#include "common/realtime_clock.hpp"

#include <time.h>

#include <fstream>
#include <string>

#include "common/system_clocks.hpp"
#include "shmstream/clock.hpp"

namespace shmstream {

int64_t now_ns() noexcept { return detail::clock_ns(CLOCK_REALTIME); }

}  // namespace shmstream

namespace shmstream::detail {
namespace {

__extension__ typedef unsigned __int128 Wide;  // 64 x 32-bit shifts of ns and ticks

constexpr int64_t kAnchorNs = 1'000'000;            // re-anchor on clock_gettime every millisecond
constexpr int64_t kFirstRateWindowNs = 1'000'000;   // first rate after 1 ms (error ~3e-5: < 30 ns per anchor)
constexpr int64_t kRateWindowNs = 1'000'000'000;    // then over 1-2 s windows
constexpr uint64_t kMaxPairTicks = 2000;            // a clock_gettime bracketed by more was interrupted

bool kernel_clocksource_is_tsc() noexcept try {
  std::ifstream file("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  return static_cast<bool>(file >> name) && name == "tsc";
} catch (...) {
  return false;
}

}  // namespace

bool RealtimeClock::tsc_usable() noexcept {
#if defined(__x86_64__)
  static const bool usable = kernel_clocksource_is_tsc();  // read once per process
  return usable;
#else
  return false;
#endif
}

void RealtimeClock::restart_rate_window(uint64_t tsc, int64_t ns) noexcept {
  window_start_tsc_ = tsc;
  window_start_ns_ = ns;
  window_middle_ns_ = 0;
}

int64_t RealtimeClock::reanchor() noexcept {
  if (!tsc_usable()) return shmstream::now_ns();
#if defined(__x86_64__)
  // Pair a clock_gettime with the TSC read halfway through it.
  const uint64_t before = __rdtsc();
  const int64_t ns = shmstream::now_ns();
  const uint64_t bracket = __rdtsc() - before;
  // An interrupted pair (a preempted or stalled vCPU) says little about when `ns` was read: keep the old
  // anchor, so the next call tries again.
  if (bracket > kMaxPairTicks) return ns;
  const uint64_t tsc = before + bracket / 2;
  if (window_start_ns_ == 0 || ns < window_start_ns_ || tsc <= window_start_tsc_) {
    restart_rate_window(tsc, ns);  // first call, or the clock stepped back: measure the rate afresh
  } else if (const int64_t window_ns = ns - window_start_ns_; window_ns >= kFirstRateWindowNs) {
    const auto rate = static_cast<uint64_t>((static_cast<Wide>(window_ns) << 32) /
                                            (tsc - window_start_tsc_));
    const uint64_t change = rate > ns_per_tick_q32_ ? rate - ns_per_tick_q32_ : ns_per_tick_q32_ - rate;
    if (ns_per_tick_q32_ != 0 && change > ns_per_tick_q32_ / 1024) {
      // A change of over 0.1 % (NTP slews at most 0.05 %): the wall clock was stepped. Fall back to
      // clock_gettime until the rate is measured again.
      anchor_valid_ticks_ = 0;
      ns_per_tick_q32_ = 0;
      restart_rate_window(tsc, ns);
      return ns;
    }
    ns_per_tick_q32_ = rate;
    anchor_valid_ticks_ = static_cast<uint64_t>((static_cast<Wide>(kAnchorNs) << 32) / rate);
    if (window_ns >= kRateWindowNs && window_middle_ns_ == 0) {
      window_middle_tsc_ = tsc;
      window_middle_ns_ = ns;
    }
    if (window_ns >= 2 * kRateWindowNs) {
      if (window_middle_ns_ != 0) {
        restart_rate_window(window_middle_tsc_, window_middle_ns_);
      } else {
        restart_rate_window(tsc, ns);
      }
    }
  }
  anchor_tsc_ = tsc;
  anchor_ns_ = ns;
  return ns;
#endif
}

}  // namespace shmstream::detail
