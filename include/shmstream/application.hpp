// Consumer applications (the Kinesis Client Library on one host, docs/APPLICATIONS.md): what a checkpoint
// holds, and the control path over an application's lease table (describe, list, delete).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shmstream/reader.hpp"

namespace shmstream {

class Stream;

// Where an application stands in a shard (KCL's ExtendedSequenceNumber): after a sequence number, or one of
// the sentinels. The initial position of shards without a checkpoint is TRIM_HORIZON, LATEST or AT_TIMESTAMP.
struct Checkpoint {
  enum class Kind : uint8_t { kTrimHorizon, kLatest, kAtTimestamp, kSequenceNumber, kShardEnd };
  Kind kind = Kind::kTrimHorizon;
  uint64_t sequence_number = 0;  // kSequenceNumber: every record up to this one is processed
  int64_t timestamp_ns = 0;      // kAtTimestamp

  static Checkpoint at(uint64_t sequence_number) noexcept { return {Kind::kSequenceNumber, sequence_number, 0}; }
  // "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END", or the sequence number in decimal (as the KCL).
  std::string text() const;
  bool operator==(const Checkpoint&) const noexcept = default;
};

// Where a reader resumes at a checkpoint: AFTER_SEQUENCE_NUMBER of it, or the initial position it names.
// (SHARD_END has nothing after it: TRIM_HORIZON, for completeness.)
IteratorStart start_after(const Checkpoint& checkpoint) noexcept;

// Parses "TRIM_HORIZON", "LATEST" or "AT_TIMESTAMP" (the initial positions); nullopt otherwise.
std::optional<Checkpoint::Kind> parse_initial_position(std::string_view name) noexcept;

// One row of the lease table, with the KCL attribute each field corresponds to.
struct LeaseInfo {
  uint32_t shard_index = 0;
  std::string lease_key;                     // leaseKey: the shard id
  std::string lease_owner;                   // leaseOwner: worker id; empty when nobody holds it
  uint32_t owner_pid = 0;                    // 0 when nobody holds it
  bool owner_alive = false;                  // the owner process runs (pid and start time match)
  uint64_t lease_counter = 0;                // leaseCounter
  int64_t last_renewal_ns = 0;               // ns since the epoch
  Checkpoint checkpoint;                     // checkpoint
  std::optional<Checkpoint> pending_checkpoint;  // pendingCheckpoint
  uint64_t owner_switches_since_checkpoint = 0;  // ownerSwitchesSinceCheckpoint
  std::vector<std::string> parent_shard_ids;     // parentShardId
  // How far the checkpoint is behind the shard's newest record: MillisBehindLatest (as GetRecords reports it
  // for a reader at the checkpoint), the log bytes and the records in between. 0 once the shard is read to
  // its end.
  int64_t millis_behind_latest = 0;
  uint64_t bytes_behind_latest = 0;
  // Records after the checkpoint, counted up to kMaxCountedRecordsBehind (a larger lag shows as that number).
  uint64_t records_behind_latest = 0;
};

inline constexpr uint64_t kMaxCountedRecordsBehind = 1'000'000;

struct ApplicationInfo {
  std::string name;
  Checkpoint initial_position;
  int64_t created_ns = 0;
  std::vector<LeaseInfo> leases;  // the shards the application consumes, by index
};

// Throws ResourceNotFoundException for an application without a lease table, and CorruptedDataException
// (the file and what is wrong) for a damaged one.
ApplicationInfo describe_application(const std::shared_ptr<Stream>& stream, std::string_view application);
std::vector<std::string> list_applications(const Stream& stream);
// Removes the lease table: running workers of the application stop (InvalidStateException) and a new
// worker starts the application over from its initial position.
void delete_application(const Stream& stream, std::string_view application);

}  // namespace shmstream
