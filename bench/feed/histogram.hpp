// Log-linear latency histogram (HdrHistogram-like, implemented here): values below 2^kSubBits land in exact
// buckets; above, each power of two is split into 2^kSubBits linear buckets, so the relative error stays
// below 1/32 (~3 %) from 1 ns to ~18 minutes. Plain data with a fixed size, so it can live in the shared
// memory the harness processes report through.
#pragma once

#include <array>
#include <cstdint>

namespace feed {

class LatencyHistogram {
 public:
  static constexpr uint32_t kSubBits = 5;
  static constexpr uint32_t kSubBuckets = 1u << kSubBits;
  static constexpr uint32_t kGroups = 64 - kSubBits;  // covers every uint64 value
  static constexpr uint32_t kBuckets = kGroups * kSubBuckets;

  void record(int64_t value_ns) noexcept;
  void merge(const LatencyHistogram& other) noexcept;
  void clear() noexcept { *this = LatencyHistogram{}; }

  uint64_t count() const noexcept { return count_; }
  int64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  int64_t max() const noexcept { return max_; }
  double mean() const noexcept { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }
  // Value at quantile q in [0, 1]: the upper edge of the bucket holding it (clamped to max), so percentiles
  // are never optimistic.
  int64_t percentile(double q) const noexcept;

  static uint32_t bucket_of(uint64_t value) noexcept;
  static uint64_t bucket_upper_edge(uint32_t bucket) noexcept;

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace feed
