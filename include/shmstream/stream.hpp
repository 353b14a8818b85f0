// Stream: the control-path handle of one stream (create/open/describe/list/delete). Thread-safe; share one
// per process through std::shared_ptr and hand it to Producers and ShardReaders.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shmstream/clock.hpp"
#include "shmstream/hash_key.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/layout/stream_header.hpp"
#include "shmstream/limits.hpp"
#include "shmstream/status.hpp"

namespace shmstream {

namespace detail {
class StreamState;
struct StreamAccess;
}

// Kinesis StreamMode. shmstream does not scale shards by itself: ON_DEMAND is recorded and reported, and an
// ON_DEMAND stream starts with kOnDemandInitialShardCount shards unless told otherwise (docs/DECISIONS.md).
enum class StreamMode : uint8_t { kProvisioned, kOnDemand };
const char* stream_mode_name(StreamMode mode) noexcept;  // PROVISIONED | ON_DEMAND
std::optional<StreamMode> parse_stream_mode(std::string_view name) noexcept;

// Kinesis MetricsName (without ALL), in the service model's order; bit i of a ShardLevelMetrics mask.
inline constexpr const char* kShardLevelMetricNames[] = {
    "IncomingBytes",  "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds"};
inline constexpr uint32_t kAllShardLevelMetrics = (1u << 7) - 1;
// "ALL" is every bit; nullopt for a name the model does not have.
std::optional<uint32_t> shard_level_metric_bits(std::string_view name) noexcept;
std::vector<std::string> shard_level_metric_names(uint32_t mask);

struct StreamOptions {
  uint32_t shard_count = 1;
  StreamMode stream_mode = StreamMode::kProvisioned;
  uint64_t segment_size = kDefaultSegmentSize;          // power of two in [4 KiB, 1 GiB]
  std::chrono::nanoseconds retention = kDefaultRetention;
  uint64_t retention_bytes = 0;                          // per shard; 0 = default cap (see docs/OPERATIONS.md)
  uint32_t file_mode = 0600;                             // files; directories get the matching x bits
  // A checksum trailer on every record, fixed at creation. Unset: on where the root is on a persistent
  // filesystem (write-back can tear a committed frame after a power loss), off on tmpfs (the commit protocol
  // never shows a torn frame, and the memory dies with the host). docs/DECISIONS.md.
  std::optional<bool> checksums;
};

struct ShardInfo {
  uint32_t index = 0;
  std::string shard_id;  // shardId-000000000000
  HashKey starting_hash_key = 0;
  HashKey ending_hash_key = 0;
  std::optional<uint32_t> parent_index;
  std::optional<uint32_t> adjacent_parent_index;
  uint64_t starting_sequence_number = 0;
  std::optional<uint64_t> ending_sequence_number;
  layout::ShardStatus status = layout::ShardStatus::kUnused;
  int64_t created_ns = 0;
  int64_t closed_ns = 0;
  uint64_t trim_horizon = 0;     // oldest readable position
  uint64_t latest_position = 0;  // position the next record would get (approximate while producers run)
  uint64_t incoming_records = 0;
  uint64_t incoming_bytes = 0;
  uint64_t put_errors = 0;
  uint64_t unblocked_frames = 0;
  uint64_t trimmed_segments = 0;
  uint64_t aborted_puts = 0;
  uint64_t writes_throttled = 0;  // puts refused by throttling (WriteProvisionedThroughputExceeded)
  uint64_t reads_throttled = 0;   // GetRecords refused by AWS-limits mode (ReadProvisionedThroughputExceeded)
};

struct StreamInfo {
  std::string name;
  std::string arn;
  std::string status;  // CREATING | ACTIVE | UPDATING | DELETING
  std::string uuid;
  int64_t creation_ns = 0;
  int64_t retention_ns = 0;
  uint64_t retention_bytes = 0;
  uint64_t segment_size = 0;
  int64_t unblock_timeout_ns = 0;
  uint32_t open_shard_count = 0;
  bool checksums = false;  // every record carries a checksum trailer (StreamOptions::checksums)
  std::string encryption_type = "NONE";
  StreamMode stream_mode = StreamMode::kProvisioned;
  uint32_t shard_level_metrics = 0;  // enhanced monitoring, a mask over kShardLevelMetricNames
  uint32_t consumer_count = 0;       // registered consumers
  std::vector<ShardInfo> shards;  // every shard entry in use, open and closed, by index
};

enum class ShardFilterType : uint8_t {
  kAll,             // no filter: every shard that is not expired
  kAfterShardId,    // AFTER_SHARD_ID: index greater than shard_index
  kAtTrimHorizon,   // AT_TRIM_HORIZON: shards open at the trim horizon (oldest retained generation)
  kFromTrimHorizon, // FROM_TRIM_HORIZON: every retained shard
  kAtLatest,        // AT_LATEST: currently open shards
  kAtTimestamp,     // AT_TIMESTAMP: shards open at timestamp_ns
  kFromTimestamp,   // FROM_TIMESTAMP: shards open at timestamp_ns or created after it
};

struct ShardFilter {
  ShardFilterType type = ShardFilterType::kAll;
  uint32_t shard_index = 0;
  int64_t timestamp_ns = 0;
};

// DescribeLimits of a root: ShardLimit is shmstream's per-stream cap (there is no root-wide one);
// OpenShardCount and OnDemandStreamCount count every stream under the root.
struct StreamLimits {
  uint32_t shard_limit = 0;
  uint32_t open_shard_count = 0;
  uint32_t on_demand_stream_count = 0;
  uint32_t on_demand_stream_count_limit = 0;
};

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

struct TagPage {
  std::vector<Tag> tags;  // by key
  bool has_more = false;
};

// A registered (enhanced fan-out) consumer. ARN: <stream ARN>/consumer/<name>:<creation epoch seconds>.
struct ConsumerInfo {
  std::string name;
  std::string arn;
  std::string status;  // ACTIVE (registration and deregistration take effect at once here)
  int64_t creation_ns = 0;
};

// Testing a producer's retry path (docs/OPERATIONS.md "Throttling"); both off by default.
struct ThrottleSettings {
  // Probability that each PutRecord / PutRecords entry fails with ProvisionedThroughputExceededException,
  // in parts per million (0..1'000'000).
  uint32_t injected_throttle_ppm = 0;
  // Enforce the real service's per-shard limits: 1 MiB/s and 1000 records/s written, 5 GetRecords/s and
  // 2 MiB/s read.
  bool aws_limits = false;
  bool operator==(const ThrottleSettings&) const = default;
};

// $SHMSTREAM_ROOT, or /dev/shm/shmstream.
std::string default_root();
// "shardId-" + 12-digit index; and its parser (also accepts a bare index).
std::string shard_id_text(uint32_t index);
std::optional<uint32_t> parse_shard_id(std::string_view text) noexcept;
// Stream names: [a-zA-Z0-9_.-]{1,128}, not "." or "..".
bool is_valid_stream_name(std::string_view name) noexcept;

class Stream {
 public:
  static std::shared_ptr<Stream> create(std::string_view name, const StreamOptions& options,
                                        const std::string& root = default_root());
  static std::shared_ptr<Stream> open(std::string_view name, const std::string& root = default_root());
  static std::vector<std::string> list(const std::string& root = default_root());
  // Bytes of the stream's files removed so far and in all; called after each file, from the calling thread.
  using RemovalProgress = std::function<void(uint64_t removed_bytes, uint64_t total_bytes)>;
  static void remove(std::string_view name, const std::string& root = default_root(),
                     const RemovalProgress& progress = {});

  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& name() const noexcept;
  const std::string& directory() const noexcept;
  StreamInfo describe() const;
  ShardInfo describe_shard(uint32_t index) const;
  // Kinesis IncreaseStreamRetentionPeriod / DecreaseStreamRetentionPeriod: whole hours in [24, 8760],
  // not shorter (increase) / longer (decrease) than now; InvalidArgument otherwise, as AWS.
  void increase_retention_period(int64_t hours);
  void decrease_retention_period(int64_t hours);
  // shmstream's finer settings for IPC streams: any window in [1 s, 8760 h]; the per-shard byte cap
  // (0 = the default cap, a quarter of the filesystem split across the shards); the janitor's unblock timeout.
  void set_retention(std::chrono::nanoseconds retention);
  void set_retention_bytes(uint64_t bytes);
  void set_unblock_timeout(std::chrono::nanoseconds timeout);

  // Resharding, as Kinesis (control path, under the stream's flock; producers never block on it).
  // SplitShard: the children get the next two indexes, [start, new_start - 1] and [new_start, end].
  void split_shard(uint32_t shard_to_split, HashKey new_starting_hash_key);
  // MergeShards: two OPEN shards with adjacent ranges; the child's ParentShardId is shard_to_merge.
  void merge_shards(uint32_t shard_to_merge, uint32_t adjacent_shard_to_merge);
  // UpdateShardCount with UNIFORM_SCALING: at most double / at least half the open shard count per call;
  // done as splits and merges, so every new shard has at most two parents. Checked in full before the
  // first step (limits included), so a refused request changes nothing. Returns the open shard count before.
  uint32_t update_shard_count(uint32_t target_shard_count);
  // ListShards with a ShardFilter; EXPIRED shards are never listed.
  std::vector<ShardInfo> list_shards(const ShardFilter& filter = {}) const;

  // Indexes of OPEN shards in hash-key order.
  std::vector<uint32_t> open_shards() const;

  // DescribeLimits over every stream under `root`.
  static StreamLimits describe_limits(const std::string& root = default_root());

  // Tags, as AWS: keys 1..128 and values 0..256 characters of Unicode letters, digits, white space and
  // _ . / = + - % @; at most 50 per stream. Kept in <stream>/attributes.json, replaced atomically under the
  // stream's flock (docs/FORMAT.md); producers and readers never touch it. InvalidArgument / LimitExceeded
  // refuse the whole request.
  void add_tags(const std::vector<Tag>& tags);
  void remove_tags(const std::vector<std::string>& keys);
  // ListTagsForStream: tags whose key sorts after `exclusive_start_key`, at most `limit` (1..50).
  TagPage list_tags(const std::string& exclusive_start_key = {}, uint32_t limit = kMaxTagsPerStream) const;

  // UpdateStreamMode. ResourceInUse while the stream is not ACTIVE; the same mode again is accepted.
  void update_stream_mode(StreamMode mode);

  // Enable-/DisableEnhancedMonitoring: `metrics` is a mask over kShardLevelMetricNames. Returns the mask
  // before the change (Current); the new one (Desired) is in describe().shard_level_metrics.
  uint32_t enable_enhanced_monitoring(uint32_t metrics);
  uint32_t disable_enhanced_monitoring(uint32_t metrics);

  // Register-/Deregister-/Describe-/ListStreamConsumers (names [a-zA-Z0-9_.-]{1,128}, at most 20 per
  // stream), kept in <stream>/attributes.json beside the tags.
  ConsumerInfo register_consumer(const std::string& consumer_name);
  void deregister_consumer(const std::string& consumer_name);
  ConsumerInfo describe_consumer(const std::string& consumer_name) const;
  std::vector<ConsumerInfo> list_consumers() const;  // by creation time

  // Fault injection and AWS-limits mode (see ThrottleSettings). Running producers see a change on their
  // next put (it bumps the shard table epoch they check anyway); readers on their next get_records.
  void set_throttling(const ThrottleSettings& settings);
  ThrottleSettings throttling() const;

 private:
  friend struct detail::StreamAccess;  // the library's own layers reach the stream's state through it
  explicit Stream(std::unique_ptr<detail::StreamState> state);
  std::unique_ptr<detail::StreamState> state_;
};

}  // namespace shmstream
