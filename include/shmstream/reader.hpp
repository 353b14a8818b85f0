// ShardReader: one consumer cursor on one shard. get_records returns zero-copy views into the shared mapping,
// valid until the next get_records on the same reader. noexcept and lock-free in steady state.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "shmstream/record.hpp"
#include "shmstream/status.hpp"

namespace shmstream {

class Stream;
namespace detail {
class ReaderCore;
}

enum class IteratorType : uint8_t { kTrimHorizon, kLatest, kAtSequenceNumber, kAfterSequenceNumber, kAtTimestamp };

// Kinesis names: TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP.
const char* iterator_type_name(IteratorType type) noexcept;
bool parse_iterator_type(std::string_view name, IteratorType& type) noexcept;

struct IteratorStart {
  IteratorType type = IteratorType::kTrimHorizon;
  uint64_t sequence_number = 0;  // AT_/AFTER_SEQUENCE_NUMBER
  int64_t timestamp_ns = 0;      // AT_TIMESTAMP: first record with arrival >= timestamp
};

class ShardReader {
 public:
  // Throws Error: ResourceNotFound (no such shard), InvalidArgument (sequence number not in the shard).
  ShardReader(std::shared_ptr<Stream> stream, uint32_t shard_index, const IteratorStart& start,
              const ReaderOptions& options = {});
  ~ShardReader();
  ShardReader(ShardReader&&) noexcept;
  ShardReader& operator=(ShardReader&&) noexcept;

  // Up to `limit` (1..10000) records and `max_bytes` of key+data. Views stay valid until the next call.
  Status get_records(RecordBatch& batch, uint32_t limit = kDefaultLimit,
                     uint64_t max_bytes = kDefaultMaxBytes) noexcept;

  // Returns ok once a record (or the shard's end) is visible at the cursor, kTimeout otherwise.
  Status wait(WaitStrategy strategy, std::chrono::nanoseconds timeout) noexcept;
  // True when get_records would return something now (a record or the shard's end).
  bool has_data() noexcept;

  uint64_t position() const noexcept;
  // Moves to a position from an earlier batch's next_position (or a token holding one). InvalidArgument if
  // it cannot be a frame boundary of this shard (misaligned, past the end); CorruptedData if the frame there
  // fails its structural check (damaged data, or a hand-made position inside a frame). The cursor stays
  // where it was then.
  Status seek(uint64_t position) noexcept;
  uint32_t shard_index() const noexcept;

  static constexpr uint32_t kDefaultLimit = 10000;
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{10} << 20;

 private:
  friend class StreamReader;  // waits on many shards at once with the same check
  // has_data() with the given order: seq_cst for an eventcount's re-check after registering as a waiter.
  bool ready(std::memory_order order) noexcept;

  std::unique_ptr<detail::ReaderCore> core_;
};

}  // namespace shmstream
