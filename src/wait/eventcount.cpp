#include "wait/eventcount.hpp"

#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

namespace shmstream::detail {

void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns) noexcept {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  timespec relative{};
  timespec* timeout = nullptr;
  if (timeout_ns >= 0) {
    relative.tv_sec = static_cast<time_t>(timeout_ns / 1000000000);
    relative.tv_nsec = static_cast<long>(timeout_ns % 1000000000);
    timeout = &relative;
  }
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, expected, timeout, nullptr, 0);
}

namespace {

long membarrier(int command) noexcept { return ::syscall(SYS_membarrier, command, 0, 0); }

bool global_expedited_supported() noexcept {
  static const bool supported = [] {
    const long commands = membarrier(MEMBARRIER_CMD_QUERY);
    return commands > 0 && (commands & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0;
  }();
  return supported;
}

}  // namespace

bool register_for_waiter_barriers() noexcept {
  static const bool registered =
      global_expedited_supported() && membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
  return registered;
}

void barrier_against_plain_publishers() noexcept {
  if (global_expedited_supported()) (void)membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
}

void futex_wake_all(std::atomic<uint32_t>& word) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace shmstream::detail
