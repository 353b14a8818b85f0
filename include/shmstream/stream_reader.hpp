// StreamReader: reads a whole stream across reshards, parent shards to their end before their children, so
// every partition key's records come out in put order no matter how often the stream was split or merged.
// Single-threaded; views stay valid until the next read().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "shmstream/reader.hpp"

namespace shmstream {

class Stream;

struct StreamRecord {
  uint32_t shard_index;
  RecordView record;
};

class StreamReader {
 public:
  // start: kTrimHorizon (everything retained) or kLatest (only what arrives from now on).
  explicit StreamReader(std::shared_ptr<Stream> stream, IteratorType start = IteratorType::kTrimHorizon,
                        const ReaderOptions& options = {});
  ~StreamReader();

  // Appends to `out` (cleared first) up to `limit_per_shard` records from every shard that is readable now
  // (its parents are read to their end). Errors of one shard are returned after the others were read.
  Status read(std::vector<StreamRecord>& out, uint32_t limit_per_shard = 1000);
  // Waits until read() would return something (a record, a shard's end, a new shard), up to `timeout`:
  // sleeping on the stream's eventcount (kBlock) or polling (the other strategies).
  Status wait(std::chrono::nanoseconds timeout, WaitStrategy strategy = WaitStrategy::kBlock);
  // Shards read to their end so far (closed shards whose children took over).
  std::vector<uint32_t> finished_shards() const;

 private:
  struct ShardProgress {
    std::optional<ShardReader> reader;
    RecordBatch batch;
    bool finished = false;
    bool appeared_after_start = false;  // a child born while we read: read from its first record
  };
  void discover();
  bool anything_to_read(std::memory_order order);
  bool readable(uint32_t index) const;
  ShardProgress* progress_for(uint32_t index);

  std::shared_ptr<Stream> stream_;
  IteratorType start_;
  ReaderOptions options_;
  std::map<uint32_t, ShardProgress> shards_;
  uint32_t known_shard_count_ = 0;
};

}  // namespace shmstream
