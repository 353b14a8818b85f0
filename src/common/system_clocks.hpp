// The kernel's clocks in ns, read through the vDSO (no system call).
#pragma once

#include <time.h>

#include <cstdint>

namespace shmstream::detail {

inline int64_t clock_ns(clockid_t clock) noexcept {
  timespec now{};
  ::clock_gettime(clock, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// CLOCK_MONOTONIC: one timeline for every process of the host (deadlines, rates, throttling).
inline int64_t monotonic_ns() noexcept { return clock_ns(CLOCK_MONOTONIC); }

// CLOCK_BOOTTIME: one clock for every process of the host, never set back, counting suspend: lease expiry.
inline int64_t boottime_ns() noexcept { return clock_ns(CLOCK_BOOTTIME); }

}  // namespace shmstream::detail
