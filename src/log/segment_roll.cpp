#include "log/segment_roll.hpp"

#include "log/retention.hpp"
#include "log/shard_log.hpp"

namespace shmstream::detail {

Status roll_segment(const ShardLog& log, uint64_t number, bool* published) noexcept {
  if (published != nullptr) *published = false;
  layout::ShardEntry& entry = log.entry();
  // acquire: a newer number means its segment exists; nothing to do then. The raw word is compared: once a
  // reshard set its closed bit, it never equals `number` again and no roll can publish a segment past the end.
  if (entry.active_segment.load(std::memory_order_acquire) != number) return Status::ok();
  if (Status status = log.create_segment(number + 1); !status) return status;
  uint64_t expected = number;
  // acq_rel: publishes "segment number + 1 exists" (release) to producers and readers that load it (acquire).
  if (entry.active_segment.compare_exchange_strong(expected, number + 1, std::memory_order_acq_rel,
                                                   std::memory_order_acquire)) {
    if (published != nullptr) *published = true;
    enforce_byte_cap(log, number + 1);
    log.wake_readers();
  }
  return Status::ok();
}

}  // namespace shmstream::detail
