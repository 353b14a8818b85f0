// JSON the way the AWS CLI prints it: keys in the documented order, 4-space indent, big numbers as strings.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "shmstream/stream.hpp"

namespace shmstream::cli {

using Json = nlohmann::ordered_json;

// --output and --query, set once by main() before a command runs.
struct OutputOptions {
  std::string format = "json";  // json | text | table
  std::string query;            // a JMESPath expression, evaluated by Debian's `jp`; empty = the whole document
  std::string operation;        // the title of a table: the operation's name, as the aws CLI
};
void set_output_options(const OutputOptions& options);

// Prints a response to stdout as the aws CLI would with the current --query and --output: JSON pretty-printed
// with a 4-space indent, the aws CLI's tab-separated text form, or its table form (table_output.hpp).
void print_json(const Json& document);
// The aws CLI's `--output text` form of a document (awscli/text.py's rules: scalars of an object on one line in
// key order, nested lists and objects on lines of their own headed by their key in upper case).
std::string format_text(const Json& document);
// One line, for streaming output (tail).
std::string compact_json(const Json& document);
// Sets "PartitionKey": the key itself when it is UTF-8 (as every key put through the AWS API is), else its
// base64, so no byte is lost or replaced (with "PartitionKeyEncoding": "base64" beside it when `mark_encoding`;
// AWS-shaped responses mark it outside the record instead). Returns whether the key was UTF-8.
bool set_partition_key(Json& record, std::string_view key, bool mark_encoding = true);

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
// `--shmstream-details` of DescribeStream / DescribeStreamSummary: what no AWS member can show, printed as a
// top-level "ShmstreamDetails" beside the AWS object: {"RetentionSeconds" (exact window; a fraction only when
// not whole), "RetentionBytesPerShard", "UnblockTimeoutMillis", "SegmentSize", "Checksums" (every record carries
// a checksum trailer; fixed at creation)}.
Json shmstream_details_json(const StreamInfo& info);

}  // namespace shmstream::cli
