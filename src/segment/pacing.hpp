// How segment preparation uses the CPU. Allocating and pre-faulting a 64 MiB segment is ~50 ms of kernel
// work. A producer or reader that needs the segment now does it in one go (kAtOnce). The background
// preparer does it in small steps with a short sleep between them (kPaced): on a machine whose CPUs are all
// taken by spinning producers and consumers, it then displaces one of them for ~20 µs at a time instead of
// a scheduler slice of several ms, and the work still finishes within ~150 ms, well before the roll.
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>

namespace shmstream::detail {

enum class Pacing : uint8_t { kAtOnce, kPaced };

inline constexpr uint64_t kPacedStepBytes = uint64_t{64} << 10;
// Zeroing through a mapping runs at ~20 GB/s: larger steps keep its pauses (and wake-ups) few.
inline constexpr uint64_t kPacedZeroStepBytes = uint64_t{256} << 10;
inline constexpr long kPacedPauseNs = 50'000;

// Non-zero while some thread of this process waits for paced work to finish (a roll that reached the
// segment being prepared): the work then goes on at full speed.
inline std::atomic<int> paced_work_awaited{0};

inline void pause_between_steps() noexcept {
  // relaxed: a hint; one step more or less at the slow pace changes nothing.
  if (paced_work_awaited.load(std::memory_order_relaxed) > 0) return;
  const timespec pause{0, kPacedPauseNs};
  (void)::nanosleep(&pause, nullptr);  // EINTR: just a shorter pause
}

// Calls step(offset, length) over [0, size), in one call or in `step_bytes` pieces with a pause between
// them. Stops at the first step that returns non-zero and returns that value.
template <class Step>
int in_steps(uint64_t size, Pacing pacing, uint64_t step_bytes, Step&& step) {
  const uint64_t piece = pacing == Pacing::kAtOnce ? size : step_bytes;
  for (uint64_t offset = 0; offset < size; offset += piece) {
    if (offset != 0) pause_between_steps();
    const uint64_t length = size - offset < piece ? size - offset : piece;
    if (const int result = step(offset, length); result != 0) return result;
  }
  return 0;
}

}  // namespace shmstream::detail
