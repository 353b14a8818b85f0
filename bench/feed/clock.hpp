// One clock for every timestamp the harness takes: CLOCK_MONOTONIC through the vDSO (TSC-backed here, ~20 ns
// per read), comparable across processes, unlike a per-thread TSC calibration would need to be.
#pragma once

#include <time.h>

#include <cstdint>

namespace feed {

inline int64_t monotonic_ns() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// Spin (no syscall) until the clock reaches `deadline_ns`: sleeping would add ~10 us of wake-up jitter here.
inline void spin_until(int64_t deadline_ns) noexcept {
  while (monotonic_ns() < deadline_ns) __builtin_ia32_pause();
}

}  // namespace feed
