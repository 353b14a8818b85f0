// One consumer cursor on one shard, as the reader bindings and the bulk reader both use it.
#pragma once

#include <mutex>
#include <string>

#include "native.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::python {

struct BatchLease;

class ReaderHandle {
 public:
  ReaderHandle(std::shared_ptr<Stream> stream, uint32_t shard_index, const IteratorStart& start,
               const ReaderOptions& options)
      : stream_(stream), reader_(std::move(stream), shard_index, start, options), shard_id_(shard_id_text(shard_index)) {}

  ShardReader& reader() noexcept { return reader_; }
  const Stream& stream() const noexcept { return *stream_; }
  RecordBatch& batch() noexcept { return batch_; }
  const std::string& shard_id() const noexcept { return shard_id_; }

  // The lease of the current zero-copy batch (zero_copy.hpp); empty when the batch handed out no views.
  std::shared_ptr<BatchLease>& lease() noexcept { return lease_; }

  // Held (with the GIL released) by whoever reads or waits: a ShardReader serves one thread at a time.
  std::unique_lock<std::mutex> claim() {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock) throw Error(StatusCode::kResourceInUse, "this shard iterator is in use by another thread");
    return lock;
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<Stream> stream_;
  ShardReader reader_;
  RecordBatch batch_;
  std::shared_ptr<BatchLease> lease_;
  std::string shard_id_;
};

IteratorStart make_iterator_start(const std::string& iterator_type, uint64_t sequence_number, int64_t timestamp_ns);

}  // namespace shmstream::python
