// Stream mode, enhanced monitoring, throttling and DescribeLimits (control path, under the stream's flock).
#include <iterator>

#include "common/aws_names.hpp"
#include "shmstream/stream.hpp"
#include "stream/file_lock.hpp"
#include "stream/stream_state.hpp"
#include "stream/throughput_file.hpp"

namespace shmstream {

const char* stream_mode_name(StreamMode mode) noexcept {
  return mode == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}

std::optional<StreamMode> parse_stream_mode(std::string_view name) noexcept {
  if (name == "PROVISIONED") return StreamMode::kProvisioned;
  if (name == "ON_DEMAND") return StreamMode::kOnDemand;
  return std::nullopt;
}

std::optional<uint32_t> shard_level_metric_bits(std::string_view name) noexcept {
  if (name == "ALL") return kAllShardLevelMetrics;
  for (uint32_t i = 0; i < std::size(kShardLevelMetricNames); ++i) {
    if (name == kShardLevelMetricNames[i]) return 1u << i;
  }
  return std::nullopt;
}

std::vector<std::string> shard_level_metric_names(uint32_t mask) {
  std::vector<std::string> names;
  for (uint32_t i = 0; i < std::size(kShardLevelMetricNames); ++i) {
    if ((mask & (1u << i)) != 0) names.emplace_back(kShardLevelMetricNames[i]);
  }
  return names;
}

void Stream::update_stream_mode(StreamMode mode) {
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  layout::StreamHeader& header = state_->header();
  // relaxed: the flock serialises control-path changes; the status is only reported.
  if (header.status.load(std::memory_order_relaxed) != static_cast<uint32_t>(layout::StreamStatus::kActive)) {
    throw Error(StatusCode::kResourceInUse, "Stream " + name() + " under account " + detail::aws::kAccountId +
                                                " not ACTIVE, instead in state " + describe().status);
  }
  const auto code = mode == StreamMode::kOnDemand ? layout::StreamModeCode::kOnDemand : layout::StreamModeCode::kProvisioned;
  header.stream_mode.store(static_cast<uint32_t>(code), std::memory_order_relaxed);  // relaxed: a reported setting
}

uint32_t Stream::enable_enhanced_monitoring(uint32_t metrics) {
  if (metrics == 0 || (metrics & ~kAllShardLevelMetrics) != 0) {
    throw Error(StatusCode::kInvalidArgument, "ShardLevelMetrics must name at least one metric of the service model");
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  // relaxed: a reported setting; the counters behind it are always kept.
  return state_->header().shard_level_metrics.fetch_or(metrics, std::memory_order_relaxed);
}

uint32_t Stream::disable_enhanced_monitoring(uint32_t metrics) {
  if (metrics == 0 || (metrics & ~kAllShardLevelMetrics) != 0) {
    throw Error(StatusCode::kInvalidArgument, "ShardLevelMetrics must name at least one metric of the service model");
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  return state_->header().shard_level_metrics.fetch_and(~metrics, std::memory_order_relaxed);  // relaxed: as above
}

void Stream::set_throttling(const ThrottleSettings& settings) {
  if (settings.injected_throttle_ppm > layout::kMaxInjectedThrottlePpm) {
    throw Error(StatusCode::kInvalidArgument, "the injected throttling probability must be between 0 and 1 "
                                              "(0..1000000 parts per million)");
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  layout::StreamHeader& header = state_->header();
  // The file also counts the refusals of injected throttling (WriteProvisionedThroughputExceeded).
  if (settings.aws_limits || settings.injected_throttle_ppm != 0) {
    detail::ensure_throughput_file(directory(), state_->shard_capacity(), header.file_mode);
  }
  // relaxed: the epoch's release increment below publishes both to producers, which re-read them after
  // loading the epoch with acquire; readers load the flags on each get_records and need no ordering.
  header.injected_throttle_ppm.store(settings.injected_throttle_ppm, std::memory_order_relaxed);
  header.throttle_flags.store(settings.aws_limits ? layout::kThrottleAwsLimits : 0, std::memory_order_relaxed);
  header.shard_table_epoch.fetch_add(1, std::memory_order_release);
}

ThrottleSettings Stream::throttling() const {
  const layout::StreamHeader& header = state_->header();
  ThrottleSettings settings;
  // relaxed: a snapshot of two settings.
  settings.injected_throttle_ppm = header.injected_throttle_ppm.load(std::memory_order_relaxed);
  settings.aws_limits = (header.throttle_flags.load(std::memory_order_relaxed) & layout::kThrottleAwsLimits) != 0;
  return settings;
}

StreamLimits Stream::describe_limits(const std::string& root) {
  StreamLimits limits;
  limits.shard_limit = kMaxShardsPerStream;
  limits.on_demand_stream_count_limit = kOnDemandStreamCountLimit;
  for (const std::string& stream_name : list(root)) {
    try {
      const std::shared_ptr<Stream> stream = open(stream_name, root);
      const detail::StreamState& state = *stream->state_;
      // relaxed: a count over a snapshot.
      if (state.header().stream_mode.load(std::memory_order_relaxed) == static_cast<uint32_t>(layout::StreamModeCode::kOnDemand)) {
        ++limits.on_demand_stream_count;
      }
      limits.open_shard_count += static_cast<uint32_t>(stream->open_shards().size());
    } catch (const Error& error) {
      // Deleted between list and open, or another user's stream we may not read: not ours to count.
      if (error.code() != StatusCode::kResourceNotFound && error.code() != StatusCode::kAccessDenied) throw;
    }
  }
  return limits;
}

}  // namespace shmstream
