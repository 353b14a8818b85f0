// A producer's private snapshot of the OPEN shards' hash ranges, sorted by start, rebuilt (cold path) when
// the stream's shard-table epoch moves. Lookup is a binary search: no shared memory touched.
#pragma once

#include <cstdint>
#include <vector>

#include "shmstream/hash_key.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/layout/stream_header.hpp"

namespace shmstream::detail {

class ShardMap {
 public:
  // Reads the shard table (the stream header's shard count entries from `shard_table`); returns the
  // epoch the snapshot belongs to.
  uint64_t rebuild(const layout::StreamHeader& header, const layout::ShardEntry* shard_table);
  // Index of the open shard whose range holds `key`, or layout::kNoShard if none does (never in a
  // consistent table: open ranges always cover [0, 2^128)).
  uint32_t find(HashKey key) const noexcept;
  uint64_t epoch() const noexcept { return epoch_; }
  // Makes the next epoch check fail, so the owner rebuilds again (its rebuild failed past the table).
  void invalidate() noexcept { epoch_ = ~uint64_t{0}; }
  // The stream's only open shard, or layout::kNoShard when it has several: routing needs no hash then.
  uint32_t only_shard() const noexcept { return only_shard_; }

 private:
  struct Range {
    HashKey start;
    HashKey end;
    uint32_t shard_index;
  };
  std::vector<Range> ranges_;
  uint64_t epoch_ = ~uint64_t{0};
  uint32_t only_shard_ = layout::kNoShard;
};

HashKey shard_start(const layout::ShardEntry& entry) noexcept;
HashKey shard_end(const layout::ShardEntry& entry) noexcept;

}  // namespace shmstream::detail
