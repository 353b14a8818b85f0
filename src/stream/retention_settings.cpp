// Retention settings of a stream (control path, under the stream's flock).
#include "shmstream/stream.hpp"
#include "stream/file_lock.hpp"
#include "stream/retention_defaults.hpp"
#include "stream/stream_state.hpp"

namespace shmstream {
namespace {

constexpr int64_t kNanosPerHour = int64_t{3600} * 1'000'000'000;
constexpr int64_t kMinKinesisHours = 24;
constexpr int64_t kMaxHours = 8760;

void check_kinesis_hours(int64_t hours) {
  if (hours < kMinKinesisHours) {
    throw Error(StatusCode::kInvalidArgument, "Minimum allowed retention period is 24 hours. Requested retention period (" +
                                                  std::to_string(hours) + " hours) is too short.");
  }
  if (hours > kMaxHours) {
    throw Error(StatusCode::kInvalidArgument, "Maximum allowed retention period is 8760 hours. Requested retention period (" +
                                                  std::to_string(hours) + " hours) is too long.");
  }
}

std::string hours_text(int64_t nanoseconds) {
  // Finer IPC windows are shown with a fraction so the message never claims "0 hours".
  if (nanoseconds % kNanosPerHour == 0) return std::to_string(nanoseconds / kNanosPerHour);
  return std::to_string(static_cast<double>(nanoseconds) / static_cast<double>(kNanosPerHour));
}

}  // namespace

void Stream::increase_retention_period(int64_t hours) {
  check_kinesis_hours(hours);
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  auto& retention = state_->header().retention_ns;
  // relaxed: changes are serialised by the flock; readers of the setting need no ordering.
  const int64_t current = retention.load(std::memory_order_relaxed);
  if (hours * kNanosPerHour < current) {
    throw Error(StatusCode::kInvalidArgument, "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
                                                  name() + " can not be shorter than existing retention period (" +
                                                  hours_text(current) + " hours). Use DecreaseRetentionPeriod API.");
  }
  retention.store(hours * kNanosPerHour, std::memory_order_relaxed);
}

void Stream::decrease_retention_period(int64_t hours) {
  check_kinesis_hours(hours);
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  auto& retention = state_->header().retention_ns;
  // relaxed: as above.
  const int64_t current = retention.load(std::memory_order_relaxed);
  if (hours * kNanosPerHour > current) {
    throw Error(StatusCode::kInvalidArgument, "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
                                                  name() + " can not be longer than existing retention period (" +
                                                  hours_text(current) + " hours). Use IncreaseRetentionPeriod API.");
  }
  retention.store(hours * kNanosPerHour, std::memory_order_relaxed);
}

void Stream::set_retention(std::chrono::nanoseconds retention) {
  if (retention < std::chrono::seconds(1) || retention > std::chrono::hours(kMaxHours)) {
    throw Error(StatusCode::kInvalidArgument, "retention must be between 1 second and 8760 hours");
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  state_->header().retention_ns.store(retention.count(), std::memory_order_relaxed);  // relaxed: a setting
}

void Stream::set_retention_bytes(uint64_t bytes) {
  const uint64_t segment_size = state_->segment_size();
  if (bytes == 0) bytes = detail::default_retention_bytes(state_->root(), segment_size, open_shards().size());
  if (bytes < 2 * segment_size) {
    throw Error(StatusCode::kInvalidArgument, "retention bytes must be at least two segments (" +
                                                  std::to_string(2 * segment_size) + " bytes)");
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  state_->header().retention_bytes.store(bytes, std::memory_order_relaxed);  // relaxed: a setting
}

void Stream::set_unblock_timeout(std::chrono::nanoseconds timeout) {
  if (timeout < std::chrono::milliseconds(1) || timeout > std::chrono::hours(1)) {
    throw Error(StatusCode::kInvalidArgument, "unblock timeout must be between 1 ms and 1 hour");
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  state_->header().unblock_timeout_ns.store(timeout.count(), std::memory_order_relaxed);  // relaxed: a setting
}

}  // namespace shmstream
