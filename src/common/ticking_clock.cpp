#include "common/ticking_clock.hpp"

#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "common/system_clocks.hpp"
#include "shmstream/clock.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {
namespace {

constexpr long kTickNs = 100'000;              // a stamp is at most this old while ticking
constexpr int64_t kWindowNs = 10'000'000;      // the record rate is measured over windows this long
constexpr uint64_t kStartRecordsPerSecond = 4'000'000;
constexpr uint64_t kStopRecordsPerSecond = 2'000'000;
constexpr int kWindowsPerUserCheck = 100;      // once a second: is a user left?
constexpr unsigned long kTimerSlackNs = 10'000;

enum class Mode : uint8_t { kAuto, kAlways, kNever };

TickerLine ticked_line;
TickerLine never_ticked_line;

// Cold state: who uses the clock and whether its thread exists. The thread takes the mutex only to decide
// to exit, so a new user cannot count on a thread that is leaving.
std::mutex state_mutex;
int users = 0;
bool thread_running = false;
std::once_flag fork_handlers_installed;

Mode mode_from_environment() {
  const char* text = std::getenv("SHMSTREAM_TICKING_CLOCK");
  const std::string value = text == nullptr ? "auto" : text;
  if (value == "auto") return Mode::kAuto;
  if (value == "always") return Mode::kAlways;
  if (value == "never") return Mode::kNever;
  throw Error(StatusCode::kInvalidArgument,
              "SHMSTREAM_TICKING_CLOCK='" + value + "' is not one of auto, always, never");
}

void pause_for(long ns) noexcept {
  const timespec pause{0, ns};
  (void)::nanosleep(&pause, nullptr);
}

// Whether a user is left; if not, the stamp goes back to 0 and the next user starts a thread.
bool keep_running() noexcept {
  const std::lock_guard lock(state_mutex);
  if (users == 0) {
    ticked_line.stamp_ns.store(0, std::memory_order_relaxed);  // relaxed: puts read the exact clock again
    thread_running = false;
  }
  return thread_running;
}

void tick(Mode mode) noexcept {
  (void)::prctl(PR_SET_TIMERSLACK, kTimerSlackNs);  // a 50 us default slack would make ticks of 150 us
  bool ticking = mode == Mode::kAlways;
  int windows = 0;
  int64_t window_start = monotonic_ns();
  // relaxed: a count for a rate; orders nothing.
  uint64_t window_records = ticked_line.records.load(std::memory_order_relaxed);
  for (;;) {
    if (ticking) {
      ticked_line.stamp_ns.store(now_ns(), std::memory_order_relaxed);  // relaxed: a time value
      pause_for(kTickNs);
    } else {
      pause_for(kWindowNs);
    }
    const int64_t now = monotonic_ns();
    const int64_t elapsed = now - window_start;
    if (elapsed < kWindowNs) continue;
    const uint64_t records = ticked_line.records.load(std::memory_order_relaxed);  // relaxed: as above
    const auto per_second = static_cast<uint64_t>(static_cast<double>(records - window_records) * 1e9 /
                                                  static_cast<double>(elapsed));
    window_start = now;
    window_records = records;
    if (mode == Mode::kAuto) {
      if (!ticking && per_second >= kStartRecordsPerSecond) {
        ticking = true;
      } else if (ticking && per_second < kStopRecordsPerSecond) {
        ticking = false;
        ticked_line.stamp_ns.store(0, std::memory_order_relaxed);  // relaxed: puts read the exact clock again
      }
    }
    if (++windows >= kWindowsPerUserCheck) {
      windows = 0;
      if (!keep_running()) return;
    }
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

void report_records(TickerLine& line, uint64_t records) noexcept {
  if (&line == &never_ticked_line) return;  // exact producers of several threads would share its line
  // Not a fetch_add: a locked instruction waits for the producer's stores to drain, and a report that two
  // producers race on and lose only makes the rate read low. relaxed: a count for a rate, orders nothing.
  line.records.store(line.records.load(std::memory_order_relaxed) + records, std::memory_order_relaxed);
}

TickingClockUser::TickingClockUser() {
  static const Mode mode = mode_from_environment();  // read once per process; a bad value throws each time
  std::call_once(fork_handlers_installed, install_fork_handlers);
  const std::lock_guard lock(state_mutex);
  ++users;
  if (thread_running || mode == Mode::kNever) return;
  try {
    // relaxed: a time value. Always ticking: the first put already finds a stamp.
    if (mode == Mode::kAlways) ticked_line.stamp_ns.store(now_ns(), std::memory_order_relaxed);
    std::thread([] { tick(mode); }).detach();
    thread_running = true;
  } catch (...) {
    ticked_line.stamp_ns.store(0, std::memory_order_relaxed);  // no thread: every put reads the exact clock
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
