// JSON the way the AWS CLI prints it: keys in the documented order, 4-space indent, big numbers as strings.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "shmstream/stream.hpp"

namespace shmstream::cli {

using Json = nlohmann::ordered_json;

// Pretty-prints to stdout with a trailing newline, like `aws --output json`.
void print_json(const Json& document);
// One line, for streaming output (tail).
std::string compact_json(const Json& document);
// Sets "PartitionKey": the key itself when it is UTF-8 (as every key put through the AWS API is), else
// its base64 with "PartitionKeyEncoding": "base64" beside it, so no byte is lost or replaced.
void set_partition_key(Json& record, std::string_view key);

// "2026-11-21T10:00:00.123000+00:00": the AWS CLI's ISO 8601 form (UTC, microseconds).
std::string aws_timestamp(int64_t ns_since_epoch);

Json hash_key_range_json(const ShardInfo& shard);
// A Shard object of DescribeStream / ListShards.
Json shard_json(const ShardInfo& shard);
Json stream_mode_details_json(const StreamInfo& info);
// [{"ShardLevelMetrics": [...]}]: the metrics enable-enhanced-monitoring turned on.
Json enhanced_monitoring_json(const StreamInfo& info);
// RetentionPeriodHours is an integer in the API; shorter shmstream retentions round up to 1 hour.
int64_t retention_period_hours(int64_t retention_ns);
// shmstream extension of DescribeStream / DescribeStreamSummary, the settings RetentionPeriodHours cannot show:
// {"Seconds" (exact window; a fraction only when not whole), "BytesPerShard", "UnblockTimeoutMillis", "SegmentSize",
//  "Checksums" (every record carries a checksum trailer; fixed at creation)}.
Json shmstream_retention_json(const StreamInfo& info);

}  // namespace shmstream::cli
