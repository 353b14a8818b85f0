// CLOCK_MONOTONIC in ns: one timeline for every process of the host (deadlines, rates, throttling).
#pragma once

#include <time.h>

#include <cstdint>

namespace shmstream::detail {

inline int64_t monotonic_ns() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace shmstream::detail
