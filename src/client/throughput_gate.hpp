// Admission of throttled puts and reads (docs/OPERATIONS.md "Throttling"): injected failures and the real
// service's per-shard limits, each limit a GCRA ("generic cell rate algorithm") over one shared atomic, the
// theoretical arrival time (TAT) of the next unit. A request is admitted while the TAT it would leave is at
// most one second ahead of now: a shard idle for a second takes a full second's quota at once, as Kinesis
// does, and then one unit per 1/rate. Only reached when a stream's throttling is on.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "common/system_clocks.hpp"
#include "shmstream/layout/shard_throughput.hpp"
#include "shmstream/limits.hpp"

namespace shmstream::detail {

inline constexpr int64_t kThrottleBurstNs = 1'000'000'000;

// Emission time of `units` at `per_second`.
constexpr int64_t emission_ns(uint64_t units, uint64_t per_second) noexcept {
  return static_cast<int64_t>(units * 1'000'000'000 / per_second);
}

// Moves the TAT by `cost_ns` unless that leaves it more than the burst ahead of `now`.
inline bool gcra_admit(std::atomic<int64_t>& tat, int64_t now, int64_t cost_ns) noexcept {
  // relaxed: the TAT is a counter of its own; nothing else is published through it.
  int64_t current = tat.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t next = std::max(current, now) + cost_ns;
    if (next - now > kThrottleBurstNs) return false;
    if (tat.compare_exchange_weak(current, next, std::memory_order_relaxed, std::memory_order_relaxed)) return true;
  }
}

// Charges `cost_ns` whatever the backlog (bytes a GetRecords has already returned).
inline void gcra_charge(std::atomic<int64_t>& tat, int64_t now, int64_t cost_ns) noexcept {
  int64_t current = tat.load(std::memory_order_relaxed);  // relaxed: as above
  while (!tat.compare_exchange_weak(current, std::max(current, now) + cost_ns, std::memory_order_relaxed,
                                    std::memory_order_relaxed)) {
  }
}

// A write of one record of `bytes` (partition key + data): 1000 records/s and 1 MiB/s per shard.
inline bool admit_write(layout::ShardThroughput& line, uint64_t bytes) noexcept {
  const int64_t now = monotonic_ns();
  const int64_t record_cost = emission_ns(1, kShardWriteRecordsPerSecond);
  if (!gcra_admit(line.write_records_tat, now, record_cost)) return false;
  if (gcra_admit(line.write_bytes_tat, now, emission_ns(bytes, kShardWriteBytesPerSecond))) return true;
  line.write_records_tat.fetch_sub(record_cost, std::memory_order_relaxed);  // relaxed: the refused record's slot back
  return false;
}

// A GetRecords call: 5 per second per shard, and none while the bytes read before are more than a
// second ahead of 2 MiB/s (a 10 MiB read holds the shard's readers off for about four seconds, as AWS).
inline bool admit_read(layout::ShardThroughput& line, int64_t now) noexcept {
  // relaxed: a plain comparison with the shared backlog.
  if (line.read_bytes_tat.load(std::memory_order_relaxed) - now > kThrottleBurstNs) return false;
  return gcra_admit(line.read_calls_tat, now, emission_ns(1, kShardReadCallsPerSecond));
}

inline void charge_read(layout::ShardThroughput& line, int64_t now, uint64_t bytes) noexcept {
  if (bytes != 0) gcra_charge(line.read_bytes_tat, now, emission_ns(bytes, kShardReadBytesPerSecond));
}

// splitmix64: the injected failures' dice, one state per producer.
inline uint64_t next_random(uint64_t& state) noexcept {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A u32 random below this fails the entry: ppm of 2^32 (1'000'000 ppm is 2^32, above every u32).
constexpr uint64_t injected_threshold(uint32_t ppm) noexcept { return (uint64_t{ppm} << 32) / 1'000'000; }

}  // namespace shmstream::detail
