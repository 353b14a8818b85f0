#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace feed {

uint32_t LatencyHistogram::bucket_of(uint64_t value) noexcept {
  if (value < kSubBuckets) return static_cast<uint32_t>(value);
  // group g >= 1 holds [2^(g+kSubBits-1), 2^(g+kSubBits)); its sub-bucket is the next kSubBits bits.
  const uint32_t top_bit = 63 - static_cast<uint32_t>(std::countl_zero(value));
  const uint32_t group = top_bit - kSubBits + 1;
  const uint32_t sub = static_cast<uint32_t>(value >> (top_bit - kSubBits)) & (kSubBuckets - 1);
  return std::min(group * kSubBuckets + sub, kBuckets - 1);
}

uint64_t LatencyHistogram::bucket_upper_edge(uint32_t bucket) noexcept {
  const uint32_t group = bucket / kSubBuckets;
  const uint64_t sub = bucket % kSubBuckets;
  if (group == 0) return sub;
  const uint32_t shift = group - 1;
  return ((kSubBuckets + sub + 1) << shift) - 1;
}

void LatencyHistogram::record(int64_t value_ns) noexcept {
  const uint64_t value = value_ns < 0 ? 0 : static_cast<uint64_t>(value_ns);  // clock steps: count as 0
  ++counts_[bucket_of(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, static_cast<int64_t>(value));
  max_ = std::max(max_, static_cast<int64_t>(value));
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (uint32_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

int64_t LatencyHistogram::percentile(double q) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (uint32_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= std::max<uint64_t>(rank, 1)) {
      return std::min(static_cast<int64_t>(bucket_upper_edge(i)), max_);
    }
  }
  return max_;
}

}  // namespace feed
