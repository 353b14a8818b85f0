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

// Notifier side, called after a seq_cst publish.
inline void notify_waiters(std::atomic<uint32_t>& word, std::atomic<uint32_t>& waiter_count) noexcept {
  // seq_cst: store-load ordering against the waiter's increment (see protocol above).
  if (waiter_count.load(std::memory_order_seq_cst) != 0) {
    word.fetch_add(1, std::memory_order_release);  // release: the sleeper's re-check sees what we published
    futex_wake_all(word);
  }
}

}  // namespace shmstream::detail
