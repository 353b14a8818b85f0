// Futex eventcount over a 32-bit word + waiter count in shared memory (process-shared futex: no
// FUTEX_PRIVATE_FLAG). Writers pay one load of the waiter count; FUTEX_WAKE only when someone sleeps.
//
// Protocol. Waiter: key = word (acquire); waiters += 1 (seq_cst); re-check the condition (seq_cst);
// futex_wait(word, key); waiters -= 1. Notifier: publish (seq_cst RMW); if waiters (seq_cst) != 0:
// word += 1; futex_wake. The seq_cst pair on (condition, waiters) guarantees one side sees the other.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmstream::detail {

// Sleeps while word == expected, at most timeout_ns (< 0: no limit). Returns on wake, timeout or signal.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns) noexcept;
void futex_wake_all(std::atomic<uint32_t>& word) noexcept;

// Exclusive producers (one writer per stream) publish with a plain release store, which gives no store-load
// ordering against their waiter-count load. The waiter supplies it for them: after its seq_cst increment
// and before its re-check it asks the kernel (membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED) to run a full
// barrier on every CPU running a thread of a registered process. Either the producer's load then comes
// after the barrier and sees the increment, or its commit was drained by it and the re-check sees it.
// The system call is on the path to sleep only, never on put or get.
//
// Producer side, once per process: true if registered; false where the kernel lacks it (the exclusive
// producer then commits with seq_cst like everyone else).
bool register_for_waiter_barriers() noexcept;
// Waiter side, between the increment and the re-check. A no-op where unsupported.
void barrier_against_plain_publishers() noexcept;

// Notifier side, called after a seq_cst publish.
inline void notify_waiters(std::atomic<uint32_t>& word, std::atomic<uint32_t>& waiter_count) noexcept {
  // seq_cst: store-load ordering against the waiter's increment (see protocol above).
  if (waiter_count.load(std::memory_order_seq_cst) != 0) {
    word.fetch_add(1, std::memory_order_release);  // release: the sleeper's re-check sees what we published
    futex_wake_all(word);
  }
}

}  // namespace shmstream::detail
