// Worker: lease passes on the caller's thread, one ShardConsumer thread per held shard whose parents ended
// (docs/APPLICATIONS.md "Workers"). The delivery loop of a consumer is get_records -> process_records on
// the reader's zero-copy views: no allocation and no lock per record or per batch; it looks at two atomic
// flags per batch.
#include "shmstream/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "application/lease_table.hpp"
#include "client/lease_rows.hpp"
#include "shmstream/limits.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"

namespace shmstream {
namespace detail {

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

namespace {

bool parents_ended(const LeaseTableImage& image, const layout::LeaseRow& row) {
  for (const uint32_t parent : {row.parent_index, row.adjacent_parent_index}) {
    if (parent == layout::kNoLeaseParent || parent >= image.rows.size()) continue;
    const layout::LeaseRow& parent_row = image.rows[parent];
    if (row_tracked(parent_row) && !row_ended(parent_row)) return false;
  }
  return true;
}

IteratorStart iterator_start(const Checkpoint& checkpoint) {
  switch (checkpoint.kind) {
    case Checkpoint::Kind::kLatest: return {IteratorType::kLatest, 0, 0};
    case Checkpoint::Kind::kAtTimestamp: return {IteratorType::kAtTimestamp, 0, checkpoint.timestamp_ns};
    case Checkpoint::Kind::kSequenceNumber:
      return {IteratorType::kAfterSequenceNumber, checkpoint.sequence_number, 0};
    default: return {IteratorType::kTrimHorizon, 0, 0};
  }
}

std::string owner_key(const layout::LeaseRow& row) {
  return std::string(row_owner(row)) + "/" + std::to_string(row.owner_pid) + "/" +
         std::to_string(row.owner_start_time);
}

}  // namespace

uint32_t WorkerCore::stream_file_mode() const { return StreamAccess::state(*stream).header().file_mode; }

std::string WorkerCore::default_worker_id() const {
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  std::random_device random;
  char text[96];
  std::snprintf(text, sizeof text, "%u-%08x@%s", me.pid, random(), host);
  return std::string(text).substr(0, layout::kMaxWorkerIdLength);
}

void WorkerCore::take(layout::LeaseRow& row, int64_t now, int64_t wall) const {
  if (row.owner_pid != 0 && !owns(row)) ++row.owner_switches_since_checkpoint;
  std::memset(row.owner_worker_id, 0, sizeof row.owner_worker_id);
  std::memcpy(row.owner_worker_id, worker_id.data(), worker_id.size());
  row.owner_pid = me.pid;
  row.owner_start_time = me.start_time;
  ++row.lease_counter;
  row.renewed_boottime_ns = static_cast<uint64_t>(now);
  row.renewed_realtime_ns = wall;
}

bool WorkerCore::track_new_shards(LeaseTableImage& image, const StreamInfo& info) const {
  const bool creating = !image.initialized();
  if (creating) {
    image.header.created_ns = realtime_ns();
    image.header.initial_position = static_cast<uint32_t>(layout_kind(options.initial_position));
    image.header.initial_timestamp_ns = options.initial_timestamp_ns;
  }
  const auto old_count = static_cast<uint32_t>(image.rows.size());
  uint32_t needed = old_count;
  for (const ShardInfo& shard : info.shards) needed = std::max(needed, shard.index + 1);
  if (needed == old_count) return creating;
  for (uint32_t i = old_count; i < needed; ++i) image.rows.push_back(untracked_row(i));
  const Checkpoint initial = checkpoint_from(image.header.initial_position,
                                             static_cast<uint64_t>(image.header.initial_timestamp_ns));
  for (const ShardInfo& shard : info.shards) {
    if (shard.index < old_count || shard.status == layout::ShardStatus::kExpired) continue;
    // At LATEST the application starts with the open shards; their closed parents are history it skips.
    if (creating && initial.kind == Checkpoint::Kind::kLatest && shard.status != layout::ShardStatus::kOpen) continue;
    layout::LeaseRow& row = image.rows[shard.index];
    row.flags = layout::kLeaseRowTracked;
    row.parent_index = shard.parent_index.value_or(layout::kNoLeaseParent);
    row.adjacent_parent_index = shard.adjacent_parent_index.value_or(layout::kNoLeaseParent);
    // A shard made by a reshard after the application started is read from its first record.
    set_checkpoint(row, creating ? initial : Checkpoint{});
  }
  return true;
}

void WorkerCore::pass() {
  if (table.deleted()) {
    throw InvalidStateException(StatusCode::kResourceNotFound,
                                "InvalidStateException: the lease table " + table.path() + " was deleted");
  }
  const StreamInfo info = stream->describe();
  const int64_t now = boottime_ns();
  const int64_t wall = realtime_ns();
  const int64_t failover_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options.failover_time).count();
  const bool renew_due = now - last_renewal_ns_ >= failover_ns / 4;
  std::map<std::pair<uint32_t, uint64_t>, bool> alive;  // one look at /proc per owner per pass
  auto owner_live = [&](const layout::LeaseRow& row) {
    if (row.owner_pid == 0) return false;
    if (owns(row)) return true;
    if (now - static_cast<int64_t>(row.renewed_boottime_ns) > failover_ns) return false;
    const auto key = std::make_pair(row.owner_pid, row.owner_start_time);
    auto found = alive.find(key);
    if (found == alive.end()) found = alive.emplace(key, process_alive(row_owner_process(row))).first;
    return found->second;
  };
  std::vector<uint32_t> held_now;
  std::vector<uint32_t> ready;
  try {
    table.update([&](LeaseTableImage& image) {
      held_now.clear();
      ready.clear();
      bool changed = track_new_shards(image, info);
      std::map<std::string, std::vector<uint32_t>> others;  // live owner -> its leases
      uint32_t active = 0;
      uint32_t mine = 0;
      for (layout::LeaseRow& row : image.rows) {
        if (!row_tracked(row)) continue;
        if (row_ended(row)) {
          if (row.owner_pid != 0 && owns(row)) {  // done with it: nobody needs to hold it any more
            std::memset(row.owner_worker_id, 0, sizeof row.owner_worker_id);
            row.owner_pid = 0;
            row.owner_start_time = 0;
            ++row.lease_counter;
            changed = true;
          }
          continue;
        }
        ++active;
        if (owns(row)) {
          ++mine;
          if (renew_due) {
            take(row, now, wall);
            changed = true;
          }
        } else if (owner_live(row)) {
          others[owner_key(row)].push_back(row.shard_index);
        }
      }
      const auto workers = static_cast<uint32_t>(others.size() + 1);
      const uint32_t target = (active + workers - 1) / workers;
      bool took = false;
      for (layout::LeaseRow& row : image.rows) {
        if (mine >= target) break;
        if (!row_tracked(row) || row_ended(row) || owns(row) || owner_live(row)) continue;
        take(row, now, wall);
        ++mine;
        took = changed = true;
      }
      if (!took && mine < target) {  // steal one lease from the busiest worker above the target
        const std::vector<uint32_t>* victim = nullptr;
        for (const auto& [owner, leases] : others) {
          if (leases.size() > target && (victim == nullptr || leases.size() > victim->size())) victim = &leases;
        }
        if (victim != nullptr) {
          take(image.rows[victim->back()], now, wall);
          changed = true;
        }
      }
      for (const layout::LeaseRow& row : image.rows) {
        if (!row_tracked(row) || row_ended(row) || !owns(row)) continue;
        held_now.push_back(row.shard_index);
        if (parents_ended(image, row)) ready.push_back(row.shard_index);
      }
      return changed;
    });
  } catch (const Error& error) {
    throw InvalidStateException(error.code(), std::string("InvalidStateException: ") + error.what());
  }
  if (renew_due) last_renewal_ns_ = now;
  apply(held_now, ready);
}

void WorkerCore::apply(const std::vector<uint32_t>& held_now, const std::vector<uint32_t>& ready) {
  {
    const std::lock_guard<std::mutex> lock(mutex);
    held = held_now;
  }
  for (auto it = consumers.begin(); it != consumers.end();) {
    ShardConsumer& consumer = *it->second;
    if (!std::binary_search(held_now.begin(), held_now.end(), it->first)) {
      consumer.lost.store(true, std::memory_order_release);  // taken by another worker, or ended and released
    }
    if (consumer.finished.load(std::memory_order_acquire)) {
      consumer.join();
      it = consumers.erase(it);
    } else {
      ++it;
    }
  }
  for (const uint32_t shard : ready) {
    if (consumers.count(shard) != 0) continue;
    auto consumer = std::make_unique<ShardConsumer>(*this, shard);
    consumer->start();
    consumers.emplace(shard, std::move(consumer));
  }
}

void WorkerCore::stop_consumers(bool lease_lost) {
  for (auto& [shard, consumer] : consumers) {
    (lease_lost ? consumer->lost : consumer->stop).store(true, std::memory_order_release);
  }
  for (auto& [shard, consumer] : consumers) consumer->join();
  consumers.clear();
}

void WorkerCore::release_leases() {
  const int64_t wall = realtime_ns();
  table.update([&](LeaseTableImage& image) {
    bool changed = false;
    for (layout::LeaseRow& row : image.rows) {
      if (row.owner_pid == 0 || !owns(row)) continue;
      std::memset(row.owner_worker_id, 0, sizeof row.owner_worker_id);
      row.owner_pid = 0;
      row.owner_start_time = 0;
      ++row.lease_counter;
      row.renewed_realtime_ns = wall;
      changed = true;
    }
    return changed;
  });
  const std::lock_guard<std::mutex> lock(mutex);
  held.clear();
}

void WorkerCore::report(std::string_view shard_id, const std::exception& error) const {
  if (options.on_processor_error) {
    options.on_processor_error(shard_id, error);
    return;
  }
  std::cerr << "shmstream worker " << worker_id << ": the record processor of " << shard_id
            << " failed, restarting it from the last checkpoint: " << error.what() << std::endl;
}

// --- ShardConsumer ---

Checkpoint ShardConsumer::table_checkpoint() const {
  const LeaseTableImage image = worker_.table.read();
  if (shard_index_ >= image.rows.size() || !worker_.owns(image.rows[shard_index_])) {
    throw ShutdownException("ShutdownException: this worker does not hold the lease of " + shard_id_);
  }
  return row_checkpoint(image.rows[shard_index_]);
}

void ShardConsumer::run() noexcept {
  while (!stop.load(std::memory_order_acquire) && !lost.load(std::memory_order_acquire)) {
    try {
      consume_once();
      break;
    } catch (const ShutdownException&) {
      break;  // the lease went to another worker before the processor started
    } catch (const std::exception& error) {
      worker_.report(shard_id_, error);
    } catch (...) {
      worker_.report(shard_id_, std::runtime_error("a non-standard exception"));
    }
    std::this_thread::sleep_for(worker_.options.restart_delay);
  }
  finished.store(true, std::memory_order_release);
}

void ShardConsumer::consume_once() {
  checkpoint_ = table_checkpoint();
  if (checkpoint_.kind == Checkpoint::Kind::kShardEnd) return;
  delivered_any_ = false;
  at_shard_end_ = false;
  const std::unique_ptr<RecordProcessor> processor = worker_.factory();
  if (!processor) throw Error(StatusCode::kInvalidArgument, "the record processor factory returned no processor");
  processor->initialize(shard_id_, checkpoint_);
  ReaderOptions reader_options;
  reader_options.skip_to_trim_horizon_when_expired = true;  // a checkpoint the retention passed: go on at the horizon
  ShardReader reader(worker_.stream, shard_index_, iterator_start(checkpoint_), reader_options);
  Checkpointer checkpointer(*this);
  RecordBatch batch;
  batch.records.reserve(worker_.options.max_records);
  const WaitStrategy strategy = worker_.options.wait_strategy;
  try {
    deliver(*processor, reader, checkpointer, batch, strategy);
  } catch (const ShutdownException&) {
    // A checkpoint found the lease taken before this worker's lease pass did: the same as lease lost.
    processor->lease_lost();
  }
}

void ShardConsumer::deliver(RecordProcessor& processor, ShardReader& reader, Checkpointer& checkpointer,
                            RecordBatch& batch, WaitStrategy strategy) {
  for (;;) {
    if (lost.load(std::memory_order_acquire)) {
      processor.lease_lost();
      return;
    }
    if (stop.load(std::memory_order_acquire)) {
      processor.shutdown_requested(checkpointer);
      return;
    }
    const Status status = reader.get_records(batch, worker_.options.max_records);
    if (!status) throw_if_error(status, "cannot read " + shard_id_);  // the message is made only on failure
    if (!batch.records.empty()) {
      delivered_any_ = true;
      last_delivered_ = batch.records.back().sequence_number;
      processor.process_records(std::span<const RecordView>(batch.records.data(), batch.records.size()),
                                 checkpointer, batch.millis_behind_latest);
    }
    if (batch.shard_ended) {
      at_shard_end_ = true;
      processor.shard_ended(checkpointer);
      if (checkpoint_.kind != Checkpoint::Kind::kShardEnd) {
        throw Error(StatusCode::kInvalidArgument,
                    "shard_ended returned without checkpointing SHARD_END: the children of " + shard_id_ +
                        " cannot start before it");
      }
      return;
    }
    if (batch.records.empty()) (void)reader.wait(strategy, std::chrono::milliseconds(50));
  }
}

void ShardConsumer::checkpoint_at(const Checkpoint& checkpoint, bool pending) {
  if (worker_.table.deleted()) {
    throw InvalidStateException(StatusCode::kResourceNotFound,
                                "InvalidStateException: the lease table " + worker_.table.path() + " was deleted");
  }
  try {
    worker_.table.update([&](LeaseTableImage& image) {
      if (shard_index_ >= image.rows.size() || !worker_.owns(image.rows[shard_index_])) {
        const std::string owner =
            shard_index_ < image.rows.size() ? std::string(row_owner(image.rows[shard_index_])) : std::string();
        throw ShutdownException("ShutdownException: Can't update checkpoint - instance doesn't hold the lease for " +
                                shard_id_ + (owner.empty() ? std::string() : " (held by " + owner + ")"));
      }
      layout::LeaseRow& row = image.rows[shard_index_];
      if (pending) {
        row.pending_checkpoint_kind = static_cast<uint32_t>(layout_kind(checkpoint.kind));
        row.pending_checkpoint_value = checkpoint_value(checkpoint);
      } else {
        set_checkpoint(row, checkpoint);
        row.pending_checkpoint_kind = 0;
        row.pending_checkpoint_value = 0;
        row.owner_switches_since_checkpoint = 0;
      }
      return true;
    });
  } catch (const ShutdownException&) {
    throw;
  } catch (const Error& error) {
    if (error.code() == StatusCode::kCorrupted || error.code() == StatusCode::kResourceNotFound) {
      throw InvalidStateException(error.code(), std::string("InvalidStateException: ") + error.what());
    }
    throw;
  }
  if (!pending) checkpoint_ = checkpoint;
}

void ShardConsumer::checkpoint_last_delivered(bool pending) {
  if (at_shard_end_) {
    checkpoint_at(Checkpoint{Checkpoint::Kind::kShardEnd, 0, 0}, pending);
  } else if (delivered_any_) {
    checkpoint_at(Checkpoint::at(last_delivered_), pending);
  }
  // Nothing delivered yet: the checkpoint stays where it is (as the KCL's).
}

void ShardConsumer::checkpoint_sequence(uint64_t sequence_number, bool pending) {
  if (!delivered_any_ || sequence_number > last_delivered_) {
    throw Error(StatusCode::kInvalidArgument,
                "Could not checkpoint at sequence number " + std::to_string(sequence_number) + " on " + shard_id_ +
                    ": it is greater than the last record delivered to the processor");
  }
  if (checkpoint_.kind == Checkpoint::Kind::kSequenceNumber && sequence_number < checkpoint_.sequence_number) {
    throw Error(StatusCode::kInvalidArgument,
                "Could not checkpoint at sequence number " + std::to_string(sequence_number) + " on " + shard_id_ +
                    ": it is smaller than the last checkpoint " + std::to_string(checkpoint_.sequence_number));
  }
  checkpoint_at(Checkpoint::at(sequence_number), pending);
}

Checkpoint ShardConsumer::current() const { return checkpoint_; }

}  // namespace detail

// --- Checkpointer ---

void Checkpointer::checkpoint() { consumer_.checkpoint_last_delivered(false); }
void Checkpointer::checkpoint(uint64_t sequence_number) { consumer_.checkpoint_sequence(sequence_number, false); }
void Checkpointer::prepare_checkpoint() { consumer_.checkpoint_last_delivered(true); }
void Checkpointer::prepare_checkpoint(uint64_t sequence_number) {
  consumer_.checkpoint_sequence(sequence_number, true);
}
Checkpoint Checkpointer::current() const { return consumer_.current(); }

// --- Worker ---

Worker::Worker(std::shared_ptr<Stream> stream, std::string_view application, RecordProcessorFactory factory,
               const WorkerOptions& options) {
  if (!stream) throw Error(StatusCode::kInvalidArgument, "Worker needs a stream");
  if (!factory) throw Error(StatusCode::kInvalidArgument, "Worker needs a record processor factory");
  if (options.worker_id.size() > layout::kMaxWorkerIdLength) {
    throw Error(StatusCode::kInvalidArgument, "worker id '" + options.worker_id + "' is longer than " +
                                                  std::to_string(layout::kMaxWorkerIdLength) + " bytes");
  }
  if (options.initial_position != Checkpoint::Kind::kTrimHorizon &&
      options.initial_position != Checkpoint::Kind::kLatest &&
      options.initial_position != Checkpoint::Kind::kAtTimestamp) {
    throw Error(StatusCode::kInvalidArgument, "initial position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP");
  }
  if (options.max_records < 1 || options.max_records > kMaxGetRecordsLimit) {
    throw Error(StatusCode::kInvalidArgument, "max_records must be in [1, 10000]");
  }
  if (options.failover_time.count() <= 0 || options.lease_pass_interval.count() <= 0) {
    throw Error(StatusCode::kInvalidArgument, "failover_time and lease_pass_interval must be positive");
  }
  core_ = std::make_unique<detail::WorkerCore>(std::move(stream), application, std::move(factory), options);
}

Worker::~Worker() {
  shutdown();
  std::unique_lock<std::mutex> lock(core_->mutex);
  core_->changed.wait(lock, [this] { return !core_->running; });
}

void Worker::run() {
  detail::WorkerCore& core = *core_;
  {
    const std::lock_guard<std::mutex> lock(core.mutex);
    if (core.running) throw Error(StatusCode::kResourceInUse, "Worker::run is already running");
    if (core.shutting_down) return;
    core.running = true;
  }
  auto finish = [&core] {
    const std::lock_guard<std::mutex> lock(core.mutex);
    core.running = false;
    core.changed.notify_all();
  };
  try {
    for (;;) {
      core.pass();
      std::unique_lock<std::mutex> lock(core.mutex);
      if (core.changed.wait_for(lock, core.options.lease_pass_interval, [&core] { return core.shutting_down; })) break;
    }
    core.stop_consumers(false);
    core.release_leases();
  } catch (...) {
    core.stop_consumers(true);
    finish();
    throw;
  }
  finish();
}

void Worker::shutdown() noexcept {
  const std::lock_guard<std::mutex> lock(core_->mutex);
  core_->shutting_down = true;
  core_->changed.notify_all();
}

const std::string& Worker::worker_id() const noexcept { return core_->worker_id; }

std::vector<uint32_t> Worker::held_shards() const {
  const std::lock_guard<std::mutex> lock(core_->mutex);
  return core_->held;
}

}  // namespace shmstream
