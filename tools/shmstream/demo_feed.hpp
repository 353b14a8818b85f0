// The processes of `shmstream demo`: a market-data producer and consumers that verify what they read.
// They share one anonymous MAP_SHARED page of counters with the parent, which prints them live.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace shmstream::cli::demo {

inline constexpr int kConsumerCount = 2;
inline constexpr uint32_t kDemoShardCount = 4;

struct alignas(64) ConsumerCounters {
  std::atomic<uint64_t> received{0};
  std::atomic<int64_t> millis_behind_latest{0};
  std::atomic<uint64_t> out_of_order{0};  // sequence number not increasing within a shard, or a symbol's counter
                                          // going backwards
  std::atomic<uint64_t> gaps{0};          // a symbol's counter skipped values: messages lost
  std::atomic<uint64_t> read_errors{0};
  std::atomic<bool> finished{false};  // read everything the producer reported
};

// Lives in memory shared by the parent and its children, so only lock-free atomics.
struct SharedCounters {
  std::atomic<bool> stop{false};  // parent -> children: interrupted, leave now
  std::atomic<bool> producer_done{false};
  std::atomic<uint64_t> produced{0};
  std::atomic<uint64_t> put_errors{0};
  std::atomic<int64_t> producer_elapsed_ns{0};
  ConsumerCounters consumers[kConsumerCount];
};
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

struct FeedSettings {
  std::string root;
  std::string stream_name;
  std::chrono::seconds duration{10};
  uint64_t rate_per_second = 200'000;
};

// Child process bodies; return the process exit code.
int run_producer(const FeedSettings& settings, SharedCounters& counters);
int run_consumer(const FeedSettings& settings, SharedCounters& counters, int consumer_index);

}  // namespace shmstream::cli::demo
