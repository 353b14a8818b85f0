// The Worker's internals (docs/APPLICATIONS.md "Model"): WorkerCore runs the lease passes on the thread that
// calls Worker::run; one ShardConsumer thread per held shard whose parents ended delivers its records.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "application/lease_table.hpp"
#include "application/process_identity.hpp"
#include "client/lease_rows.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "shmstream/worker.hpp"

namespace shmstream::detail {

class WorkerCore;

class ShardConsumer {
 public:
  ShardConsumer(WorkerCore& worker, uint32_t shard_index) : worker_(worker), shard_index_(shard_index),
                                                            shard_id_(shard_id_text(shard_index)) {}
  ~ShardConsumer() {
    if (thread_.joinable()) thread_.join();
  }
  void start() { thread_ = std::thread([this] { run(); }); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  // Set by the lease pass; read by the delivery loop once per batch. release/acquire: nothing else is
  // handed over with them, but a stale false only delays the stop by one batch.
  std::atomic<bool> lost{false};
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};  // the thread is done (shard end, lease lost or stopped)

  // Checkpointer
  void checkpoint_at(const Checkpoint& checkpoint, bool pending);
  void checkpoint_last_delivered(bool pending);
  void checkpoint_sequence(uint64_t sequence_number, bool pending);
  Checkpoint current() const;

 private:
  void run() noexcept;
  void consume_once();
  void deliver(RecordProcessor& processor, ShardReader& reader, Checkpointer& checkpointer, RecordBatch& batch,
               WaitStrategy strategy);
  Checkpoint table_checkpoint() const;

  WorkerCore& worker_;
  const uint32_t shard_index_;
  const std::string shard_id_;
  std::thread thread_;
  // The delivery state the Checkpointer checks against (consumer thread only).
  bool delivered_any_ = false;
  uint64_t last_delivered_ = 0;
  bool at_shard_end_ = false;
  Checkpoint checkpoint_;  // the table's, as of the last read or write by this consumer
};

class WorkerCore {
 public:
  WorkerCore(std::shared_ptr<Stream> stream_in, std::string_view application_in, RecordProcessorFactory factory_in,
             const WorkerOptions& options_in)
      : stream(std::move(stream_in)),
        application(application_in),
        factory(std::move(factory_in)),
        options(options_in),
        table(LeaseTableFile::open(stream->directory(), application, stream_file_mode(), true)),
        me(current_process()),
        worker_id(options.worker_id.empty() ? default_worker_id() : options.worker_id) {}

  bool owns(const layout::LeaseRow& row) const noexcept {
    return row.owner_pid == me.pid && row.owner_start_time == me.start_time && row_owner(row) == worker_id;
  }

  void pass();
  void stop_consumers(bool lease_lost);
  void release_leases();
  void report(std::string_view shard_id, const std::exception& error) const;

  std::shared_ptr<Stream> stream;
  std::string application;
  RecordProcessorFactory factory;
  WorkerOptions options;
  LeaseTableFile table;
  ProcessIdentity me;
  std::string worker_id;

  mutable std::mutex mutex;  // the fields below
  std::condition_variable changed;
  bool shutting_down = false;
  bool running = false;
  std::vector<uint32_t> held;
  std::map<uint32_t, std::unique_ptr<ShardConsumer>> consumers;  // touched by the pass thread only

 private:
  uint32_t stream_file_mode() const;
  std::string default_worker_id() const;
  void take(layout::LeaseRow& row, int64_t now, int64_t wall) const;
  bool track_new_shards(LeaseTableImage& image, const StreamInfo& info) const;
  void apply(const std::vector<uint32_t>& held_now, const std::vector<uint32_t>& ready);

  int64_t last_renewal_ns_ = 0;
};

}  // namespace shmstream::detail
