// The per-process view of one stream: its mapped stream.meta (header + shard table), its segments and one
// ShardLog per shard-table entry. Shared by every Producer and ShardReader of a Stream handle; the data
// path reads it without locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/file_names.hpp"
#include "log/shard_log.hpp"
#include "segment/mapped_region.hpp"
#include "segment/segment_store.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/layout/shard_throughput.hpp"
#include "shmstream/layout/stream_header.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::detail {

class StreamState {
 public:
  StreamState(std::string root, std::string name, MappedRegion meta);

  const std::string& root() const noexcept { return root_; }
  const std::string& name() const noexcept { return name_; }
  const std::string& directory() const noexcept { return directory_; }
  std::string lock_path() const { return file_names::in(directory_, file_names::kStreamLock); }

  layout::StreamHeader& header() const noexcept { return *reinterpret_cast<layout::StreamHeader*>(meta_.data()); }
  layout::ShardEntry& shard(uint32_t index) const noexcept { return shard_table()[index]; }
  // The log of shard `index` (any index below shard_capacity()).
  const ShardLog& log(uint32_t index) const noexcept { return logs_[index]; }
  // Entries in use (open and closed). acquire: entries below it were fully written before the count grew.
  uint32_t shard_count() const noexcept { return header().shard_count.load(std::memory_order_acquire); }
  uint32_t shard_capacity() const noexcept { return header().shard_capacity; }
  uint64_t segment_size() const noexcept { return header().segment_size; }
  SegmentStore& segments() noexcept { return *segments_; }

  layout::ShardEntry* shard_table() const noexcept {
    return reinterpret_cast<layout::ShardEntry*>(meta_.data() + layout::kStreamHeaderSize);
  }

  // The per-shard lines of throughput.state (AWS-limits mode), mapped on the first call; nullptr with
  // `status` set when the file cannot be mapped. Later calls are one acquire load.
  // The lines if this process has mapped them already, else nullptr (no system call).
  layout::ShardThroughput* mapped_throughput() const noexcept {
    return throughput_.load(std::memory_order_acquire);  // acquire: as below
  }
  layout::ShardThroughput* throughput(Status& status) noexcept {
    // acquire: pairs with the release store after the mapping is made.
    if (layout::ShardThroughput* lines = throughput_.load(std::memory_order_acquire)) [[likely]] return lines;
    return map_throughput(status);
  }

 private:
  std::string root_;
  std::string name_;
  std::string directory_;
  MappedRegion meta_;
  std::unique_ptr<SegmentStore> segments_;
  std::vector<ShardLog> logs_;  // one per shard-table entry, built once: stable addresses
  std::mutex throughput_mutex_;  // the first mapping only
  MappedRegion throughput_region_;
  std::atomic<layout::ShardThroughput*> throughput_{nullptr};

  layout::ShardThroughput* map_throughput(Status& status) noexcept;
};

// How the layers above reach a Stream's state (the public Stream hands out no internal type).
struct StreamAccess {
  static StreamState& state(Stream& stream) noexcept { return *stream.state_; }
  static const StreamState& state(const Stream& stream) noexcept { return *stream.state_; }
};

}  // namespace shmstream::detail
