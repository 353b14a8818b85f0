// Between the public Checkpoint and the lease table's rows (layout/lease_table.hpp). Leases are timed with
// CLOCK_BOOTTIME (common/system_clocks.hpp); the table's wall-clock fields take CLOCK_REALTIME (now_ns()).
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "application/process_identity.hpp"
#include "common/system_clocks.hpp"
#include "shmstream/application.hpp"
#include "shmstream/layout/lease_table.hpp"

namespace shmstream::detail {

inline layout::CheckpointKind layout_kind(Checkpoint::Kind kind) noexcept {
  return static_cast<layout::CheckpointKind>(static_cast<uint32_t>(kind) + 1);
}

inline Checkpoint checkpoint_from(uint32_t kind, uint64_t value) noexcept {
  Checkpoint checkpoint;
  checkpoint.kind = static_cast<Checkpoint::Kind>(kind - 1);
  if (checkpoint.kind == Checkpoint::Kind::kSequenceNumber) checkpoint.sequence_number = value;
  if (checkpoint.kind == Checkpoint::Kind::kAtTimestamp) checkpoint.timestamp_ns = static_cast<int64_t>(value);
  return checkpoint;
}

inline uint64_t checkpoint_value(const Checkpoint& checkpoint) noexcept {
  if (checkpoint.kind == Checkpoint::Kind::kSequenceNumber) return checkpoint.sequence_number;
  if (checkpoint.kind == Checkpoint::Kind::kAtTimestamp) return static_cast<uint64_t>(checkpoint.timestamp_ns);
  return 0;
}

inline Checkpoint row_checkpoint(const layout::LeaseRow& row) noexcept {
  return checkpoint_from(row.checkpoint_kind, row.checkpoint_value);
}

inline void set_checkpoint(layout::LeaseRow& row, const Checkpoint& checkpoint) noexcept {
  row.checkpoint_kind = static_cast<uint32_t>(layout_kind(checkpoint.kind));
  row.checkpoint_value = checkpoint_value(checkpoint);
}

inline bool row_tracked(const layout::LeaseRow& row) noexcept { return (row.flags & layout::kLeaseRowTracked) != 0; }

inline bool row_ended(const layout::LeaseRow& row) noexcept {
  return row.checkpoint_kind == static_cast<uint32_t>(layout::CheckpointKind::kShardEnd);
}

inline std::string_view row_owner(const layout::LeaseRow& row) noexcept {
  return {row.owner_worker_id, ::strnlen(row.owner_worker_id, sizeof row.owner_worker_id)};
}

inline ProcessIdentity row_owner_process(const layout::LeaseRow& row) noexcept {
  return {row.owner_pid, row.owner_start_time};
}

}  // namespace shmstream::detail
