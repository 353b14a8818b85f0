#include "common/ticking_clock.hpp"

#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include <mutex>
#include <thread>

#include "shmstream/clock.hpp"

namespace shmstream::detail {
namespace {

constexpr long kTickNs = 100'000;              // a stamp is at most this old while ticking
constexpr long kIdleLookNs = 10'000'000;       // idle: how often the thread looks for puts
constexpr int kTicksBeforeIdle = 100;          // 10 ms of ticks without a put
constexpr int kIdleLooksBeforeExit = 100;      // 1 s idle without a user
constexpr unsigned long kTimerSlackNs = 10'000;

TickerLine ticked_line;
TickerLine never_ticked_line;

// Cold state: who uses the clock and whether its thread exists. The thread takes the mutex only to decide
// to exit, so a new user cannot count on a thread that is leaving.
std::mutex state_mutex;
int users = 0;
bool thread_running = false;
std::once_flag fork_handlers_installed;

void pause_for(long ns) noexcept {
  const timespec pause{0, ns};
  (void)::nanosleep(&pause, nullptr);
}

void tick() noexcept {
  (void)::prctl(PR_SET_TIMERSLACK, kTimerSlackNs);  // a 50 us default slack would make ticks of 150 us
  bool ticking = false;
  int ticks_without_put = 0;
  int idle_looks_unused = 0;
  for (;;) {
    // relaxed: a hint that puts come; the stamp it leads to orders nothing.
    const bool put_seen = ticked_line.put_seen.exchange(0, std::memory_order_relaxed) != 0;
    if (put_seen) {
      ticking = true;
      ticks_without_put = 0;
    } else if (ticking && ++ticks_without_put >= kTicksBeforeIdle) {
      ticking = false;
      ticked_line.stamp_ns.store(0, std::memory_order_relaxed);  // relaxed: puts read the exact clock again
    }
    if (ticking) {
      ticked_line.stamp_ns.store(now_ns(), std::memory_order_relaxed);  // relaxed: a time value, orders nothing
      pause_for(kTickNs);
      continue;
    }
    if (++idle_looks_unused >= kIdleLooksBeforeExit) {
      const std::lock_guard lock(state_mutex);
      if (users == 0) {
        thread_running = false;
        return;
      }
      idle_looks_unused = 0;
    }
    pause_for(kIdleLookNs);
  }
}

// fork() copies the line and the state but not the thread: the child reads the exact clock until a new
// user starts a thread of its own. The mutex is held across fork() so the child's copy is consistent.
void install_fork_handlers() noexcept {
  (void)::pthread_atfork([] { state_mutex.lock(); }, [] { state_mutex.unlock(); },
                         [] {
                           ticked_line.stamp_ns.store(0, std::memory_order_relaxed);  // relaxed: one thread
                           thread_running = false;
                           state_mutex.unlock();
                         });
}

}  // namespace

TickerLine& ticking_clock_line() noexcept { return ticked_line; }
TickerLine& never_ticking_line() noexcept { return never_ticked_line; }

TickingClockUser::TickingClockUser() noexcept {
  std::call_once(fork_handlers_installed, install_fork_handlers);
  const std::lock_guard lock(state_mutex);
  ++users;
  if (thread_running) return;
  try {
    std::thread(tick).detach();
    thread_running = true;
  } catch (...) {
    // No thread: the stamp stays 0 and every put reads the exact clock.
  }
}

TickingClockUser::~TickingClockUser() {
  const std::lock_guard lock(state_mutex);
  --users;
}

bool ticking_clock_thread_running() noexcept {
  const std::lock_guard lock(state_mutex);
  return thread_running;
}

}  // namespace shmstream::detail
