// The limits of a stream and of its requests: Kinesis's where Kinesis has one, shmstream's own otherwise.
#pragma once

#include <chrono>
#include <cstdint>

namespace shmstream {

inline constexpr uint64_t kDefaultSegmentSize = uint64_t{64} << 20;
inline constexpr uint64_t kMinSegmentSize = 4096;
inline constexpr uint64_t kMaxSegmentSize = uint64_t{1} << 30;
inline constexpr uint32_t kMaxShardsPerStream = 1024;      // at creation and open at any time
inline constexpr uint32_t kShardTableCapacity = 4096;      // entries ever (children get new indexes)
inline constexpr uint64_t kMaxRecordBytes = uint64_t{1} << 20;  // partition key + data, as Kinesis
// Kinesis counts partition keys in Unicode characters (1..256); as UTF-8 that is at most 1024 bytes, the bound
// the frame format checks.
inline constexpr uint32_t kMaxPartitionKeyCharacters = 256;
inline constexpr uint32_t kMaxPartitionKeyBytes = 4 * kMaxPartitionKeyCharacters;
inline constexpr uint32_t kMaxPutRecordsEntries = 500;
inline constexpr uint64_t kMaxPutRecordsRequestBytes = uint64_t{5} << 20;
inline constexpr uint32_t kMaxGetRecordsLimit = 10000;
inline constexpr uint64_t kMaxGetRecordsBytes = uint64_t{10} << 20;
inline constexpr std::chrono::hours kDefaultRetention{24};

// DescribeLimits reports these. shmstream has no root-wide shard cap: ShardLimit is the per-stream one above,
// and no cap on ON_DEMAND streams, so OnDemandStreamCountLimit is the most the API shape can say.
inline constexpr uint32_t kOnDemandStreamCountLimit = 1'000'000;
inline constexpr uint32_t kOnDemandInitialShardCount = 4;  // CreateStream with StreamMode ON_DEMAND, as AWS

// Tags (AddTagsToStream): as AWS.
inline constexpr uint32_t kMaxTagsPerStream = 50;
inline constexpr uint32_t kMaxTagKeyCharacters = 128;
inline constexpr uint32_t kMaxTagValueCharacters = 256;
inline constexpr uint32_t kMaxTagsPerAddRequest = 200;     // the TagMap of one request (service model)
inline constexpr uint32_t kMaxTagKeysPerRemoveRequest = 50;

// Registered (enhanced fan-out) consumers, as AWS.
inline constexpr uint32_t kMaxConsumersPerStream = 20;

// AWS-limits mode: the per-shard limits of the real service (docs/OPERATIONS.md "Throttling").
inline constexpr uint64_t kShardWriteRecordsPerSecond = 1000;
inline constexpr uint64_t kShardWriteBytesPerSecond = uint64_t{1} << 20;
inline constexpr uint64_t kShardReadCallsPerSecond = 5;
inline constexpr uint64_t kShardReadBytesPerSecond = uint64_t{2} << 20;

}  // namespace shmstream
