// The control path over applications: describe (the lease table plus each shard's lag), list, delete.
#include "shmstream/application.hpp"

#include <algorithm>

#include "application/lease_table.hpp"
#include "client/lease_rows.hpp"
#include "shmstream/hash_key.hpp"
#include "shmstream/limits.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

namespace shmstream {
namespace {

// MillisBehindLatest (of the first GetRecords a reader at the checkpoint makes), bytes and records behind.
void measure_lag(const std::shared_ptr<Stream>& stream, LeaseInfo& lease) {
  if (lease.checkpoint.kind == Checkpoint::Kind::kShardEnd) return;
  try {
    ReaderOptions options;
    options.skip_to_trim_horizon_when_expired = true;
    ShardReader reader(stream, lease.shard_index, start_after(lease.checkpoint), options);
    const uint64_t start = reader.position();
    const ShardInfo shard = stream->describe_shard(lease.shard_index);
    lease.bytes_behind_latest = shard.latest_position > start ? shard.latest_position - start : 0;
    RecordBatch batch;
    if (!reader.get_records(batch, 1)) return;
    lease.millis_behind_latest = batch.millis_behind_latest;
    // Counted by walking the views (no copy): about a millisecond per 100,000 records.
    lease.records_behind_latest = batch.records.size();
    while (!batch.records.empty() && lease.records_behind_latest < kMaxCountedRecordsBehind) {
      if (!reader.get_records(batch, kMaxGetRecordsLimit)) break;
      lease.records_behind_latest += batch.records.size();
    }
    lease.records_behind_latest = std::min(lease.records_behind_latest, kMaxCountedRecordsBehind);
  } catch (const Error&) {
    // an expired shard: nothing left to be behind on
  }
}

}  // namespace

IteratorStart start_after(const Checkpoint& checkpoint) noexcept {
  switch (checkpoint.kind) {
    case Checkpoint::Kind::kLatest: return {IteratorType::kLatest, 0, 0};
    case Checkpoint::Kind::kAtTimestamp: return {IteratorType::kAtTimestamp, 0, checkpoint.timestamp_ns};
    case Checkpoint::Kind::kSequenceNumber:
      return {IteratorType::kAfterSequenceNumber, checkpoint.sequence_number, 0};
    case Checkpoint::Kind::kTrimHorizon:
    case Checkpoint::Kind::kShardEnd: break;
  }
  return {IteratorType::kTrimHorizon, 0, 0};
}

std::string Checkpoint::text() const {
  switch (kind) {
    case Kind::kTrimHorizon: return "TRIM_HORIZON";
    case Kind::kLatest: return "LATEST";
    case Kind::kAtTimestamp: return "AT_TIMESTAMP";
    case Kind::kShardEnd: return "SHARD_END";
    case Kind::kSequenceNumber: return format_sequence_number(sequence_number);
  }
  return "";
}

std::optional<Checkpoint::Kind> parse_initial_position(std::string_view name) noexcept {
  if (name == "TRIM_HORIZON") return Checkpoint::Kind::kTrimHorizon;
  if (name == "LATEST") return Checkpoint::Kind::kLatest;
  if (name == "AT_TIMESTAMP") return Checkpoint::Kind::kAtTimestamp;
  return std::nullopt;
}

ApplicationInfo describe_application(const std::shared_ptr<Stream>& stream, std::string_view application) {
  const detail::LeaseTableFile table = detail::LeaseTableFile::open(stream->directory(), application, 0600, false);
  const detail::LeaseTableImage image = table.read();
  ApplicationInfo info;
  info.name = std::string(application);
  if (!image.initialized()) return info;
  info.created_ns = image.header.created_ns;
  info.initial_position = detail::checkpoint_from(image.header.initial_position,
                                                  static_cast<uint64_t>(image.header.initial_timestamp_ns));
  for (const layout::LeaseRow& row : image.rows) {
    if (!detail::row_tracked(row)) continue;
    LeaseInfo lease;
    lease.shard_index = row.shard_index;
    lease.lease_key = shard_id_text(row.shard_index);
    lease.lease_owner = std::string(detail::row_owner(row));
    lease.owner_pid = row.owner_pid;
    lease.owner_alive = row.owner_pid != 0 && detail::process_alive(detail::row_owner_process(row));
    lease.lease_counter = row.lease_counter;
    lease.last_renewal_ns = row.renewed_realtime_ns;
    lease.checkpoint = detail::row_checkpoint(row);
    if (row.pending_checkpoint_kind != 0) {
      lease.pending_checkpoint = detail::checkpoint_from(row.pending_checkpoint_kind, row.pending_checkpoint_value);
    }
    lease.owner_switches_since_checkpoint = row.owner_switches_since_checkpoint;
    for (const uint32_t parent : {row.parent_index, row.adjacent_parent_index}) {
      if (parent != layout::kNoLeaseParent) lease.parent_shard_ids.push_back(shard_id_text(parent));
    }
    measure_lag(stream, lease);
    info.leases.push_back(std::move(lease));
  }
  return info;
}

std::vector<std::string> list_applications(const Stream& stream) {
  return detail::list_lease_tables(stream.directory());
}

void delete_application(const Stream& stream, std::string_view application) {
  if (!detail::is_valid_application_name(application)) {
    throw Error(StatusCode::kInvalidArgument,
                "application name '" + std::string(application) + "' must match [a-zA-Z0-9_.-]{1,128}");
  }
  detail::remove_lease_table(stream.directory(), application);
}

}  // namespace shmstream
