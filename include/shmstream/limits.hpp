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
inline constexpr uint32_t kMaxPartitionKeyBytes = 256;
inline constexpr uint32_t kMaxPutRecordsEntries = 500;
inline constexpr uint64_t kMaxPutRecordsRequestBytes = uint64_t{5} << 20;
inline constexpr uint32_t kMaxGetRecordsLimit = 10000;
inline constexpr uint64_t kMaxGetRecordsBytes = uint64_t{10} << 20;
inline constexpr std::chrono::hours kDefaultRetention{24};

}  // namespace shmstream
