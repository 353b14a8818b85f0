// Worker: one member of a consumer application (docs/APPLICATIONS.md). Workers of the same application, in
// any processes of the host, share the stream's shards through the application's lease table: each holds
// about ceil(shards / workers) leases, renews them, takes the leases of workers that died (at once: the
// owner process is gone) or stopped renewing (after failover_time), and runs one RecordProcessor per held
// shard on its own thread, from the shard's last checkpoint. Delivery is at least once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shmstream/application.hpp"
#include "shmstream/record.hpp"
#include "shmstream/status.hpp"

namespace shmstream {

class Stream;
namespace detail {
class ShardConsumer;
class WorkerCore;
}

// KCL's names. ShutdownException: the lease is no longer held by this worker (taken over, or the worker is
// shutting down), so the checkpoint was not written. InvalidStateException: the lease table is gone or damaged.
class ShutdownException : public Error {
 public:
  explicit ShutdownException(const std::string& message) : Error(StatusCode::kResourceInUse, message) {}
};
class InvalidStateException : public Error {
 public:
  InvalidStateException(StatusCode code, const std::string& message) : Error(code, message) {}
};

// Writes a shard's checkpoint to the lease table (under its flock; a cold path, call it per batch or less).
class Checkpointer {
 public:
  // At the last record delivered to the processor; in shard_ended, SHARD_END.
  void checkpoint();
  // At `sequence_number`, a record delivered on this shard: InvalidArgumentException when it is above the
  // last record delivered or below the current checkpoint.
  void checkpoint(uint64_t sequence_number);
  // KCL's two-phase checkpoint: records the pending checkpoint (shown by describe-application); a later
  // checkpoint() clears it.
  void prepare_checkpoint();
  void prepare_checkpoint(uint64_t sequence_number);
  // The checkpoint the table holds for this shard now.
  Checkpoint current() const;

 private:
  friend class detail::ShardConsumer;
  explicit Checkpointer(detail::ShardConsumer& consumer) noexcept : consumer_(consumer) {}
  detail::ShardConsumer& consumer_;
};

// One shard's processor (KCL 2.x ShardRecordProcessor). Called from the shard's thread only, one call at a
// time. An exception escaping a call restarts the shard with a new processor from its last checkpoint.
class RecordProcessor {
 public:
  virtual ~RecordProcessor() = default;
  virtual void initialize(std::string_view shard_id, const Checkpoint& starting_checkpoint) = 0;
  // `records` stay valid until this call returns.
  virtual void process_records(std::span<const RecordView> records, Checkpointer& checkpointer,
                               int64_t millis_behind_latest) = 0;
  // Another worker holds the lease now: do not checkpoint (it would throw ShutdownException).
  virtual void lease_lost() = 0;
  // The shard is closed and read to its end: must call checkpointer.checkpoint() (SHARD_END), or its
  // children never start.
  virtual void shard_ended(Checkpointer& checkpointer) = 0;
  // The worker is shutting down gracefully: checkpoint what was processed; the lease is released after.
  virtual void shutdown_requested(Checkpointer& checkpointer) = 0;
};

using RecordProcessorFactory = std::function<std::unique_ptr<RecordProcessor>()>;

struct WorkerOptions {
  std::string worker_id;  // at most 31 bytes; default "<hostname>-<pid>-<random hex>" cut to fit
  Checkpoint::Kind initial_position = Checkpoint::Kind::kTrimHorizon;  // TRIM_HORIZON, LATEST or AT_TIMESTAMP
  int64_t initial_timestamp_ns = 0;                                     // for AT_TIMESTAMP
  // A lease not renewed for this long is taken by another worker (KCL failoverTimeMillis). A lease whose
  // owner process died is taken at the next lease pass, whatever this says.
  std::chrono::milliseconds failover_time{2000};
  // How often the worker looks at the lease table: renewals due, dead owners, new shards, balance.
  std::chrono::milliseconds lease_pass_interval{10};
  uint32_t max_records = 10000;  // per process_records call (KCL maxRecords), 1..10000
  WaitStrategy wait_strategy = WaitStrategy::kBlock;
  std::chrono::milliseconds restart_delay{10};  // after a processor threw, before the shard restarts
  // Told about every exception a processor threw (default: a line on stderr).
  std::function<void(std::string_view shard_id, const std::exception& error)> on_processor_error;
};

class Worker {
 public:
  // Opens (creating when needed) the application's lease table. Throws InvalidArgumentException for a
  // bad application name or option.
  Worker(std::shared_ptr<Stream> stream, std::string_view application, RecordProcessorFactory factory,
         const WorkerOptions& options = {});
  ~Worker();  // shutdown(), and waits for run() to return
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs the lease passes and the shard processors until shutdown(). Throws InvalidStateException when the
  // lease table is deleted or damaged while it runs (the processors are stopped first).
  void run();
  // Graceful: each running processor gets shutdown_requested, then the worker releases its leases so the
  // others take them from the checkpoints just written. Thread-safe, async-signal-unsafe, idempotent.
  void shutdown() noexcept;

  const std::string& worker_id() const noexcept;
  // Shard indexes of the leases held now.
  std::vector<uint32_t> held_shards() const;

 private:
  std::unique_ptr<detail::WorkerCore> core_;
};

}  // namespace shmstream
