// ShardConsumer: one held shard's thread. Its delivery loop is get_records -> process_records on the reader's
// zero-copy views: no allocation and no lock per record or per batch; it looks at two atomic flags per batch.
// A processor that throws is replaced by a new one from the shard's last checkpoint.

#include "client/worker_core.hpp"
#include "shmstream/limits.hpp"

namespace shmstream {
namespace detail {

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
  ShardReader reader(worker_.stream, shard_index_, start_after(checkpoint_), reader_options);
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

void Checkpointer::checkpoint() { consumer_.checkpoint_last_delivered(false); }
void Checkpointer::checkpoint(uint64_t sequence_number) { consumer_.checkpoint_sequence(sequence_number, false); }
void Checkpointer::prepare_checkpoint() { consumer_.checkpoint_last_delivered(true); }
void Checkpointer::prepare_checkpoint(uint64_t sequence_number) {
  consumer_.checkpoint_sequence(sequence_number, true);
}
Checkpoint Checkpointer::current() const { return consumer_.current(); }

}  // namespace shmstream
