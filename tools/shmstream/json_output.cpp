#include "json_output.hpp"

#include <time.h>

#include <cstdio>
#include <iostream>

#include "text_codecs.hpp"


namespace shmstream::cli {

namespace {
// Partition keys are not guaranteed UTF-8 by the C++ API; never let a stray byte abort the output.
constexpr auto kInvalidUtf8 = Json::error_handler_t::replace;
}  // namespace

void print_json(const Json& document) { std::cout << document.dump(4, ' ', false, kInvalidUtf8) << std::endl; }

std::string compact_json(const Json& document) { return document.dump(-1, ' ', false, kInvalidUtf8); }

void set_partition_key(Json& record, std::string_view key) {
  if (is_utf8(key)) {
    record["PartitionKey"] = std::string(key);
    return;
  }
  record["PartitionKey"] = base64_encode(key);
  record["PartitionKeyEncoding"] = "base64";
}

std::string aws_timestamp(int64_t ns_since_epoch) {
  int64_t seconds = ns_since_epoch / 1'000'000'000;
  int64_t remainder_ns = ns_since_epoch % 1'000'000'000;
  if (remainder_ns < 0) {
    remainder_ns += 1'000'000'000;
    --seconds;
  }
  const time_t as_time_t = static_cast<time_t>(seconds);
  tm utc{};
  ::gmtime_r(&as_time_t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(remainder_ns / 1000));
  return text;
}

Json hash_key_range_json(const ShardInfo& shard) {
  return Json{{"StartingHashKey", format_hash_key(shard.starting_hash_key)},
              {"EndingHashKey", format_hash_key(shard.ending_hash_key)}};
}

Json shard_json(const ShardInfo& shard) {
  Json json;
  json["ShardId"] = shard.shard_id;
  if (shard.parent_index) json["ParentShardId"] = shard_id_text(*shard.parent_index);
  if (shard.adjacent_parent_index) json["AdjacentParentShardId"] = shard_id_text(*shard.adjacent_parent_index);
  json["HashKeyRange"] = hash_key_range_json(shard);
  Json range;
  range["StartingSequenceNumber"] = format_sequence_number(shard.starting_sequence_number);
  if (shard.ending_sequence_number) {
    range["EndingSequenceNumber"] = format_sequence_number(*shard.ending_sequence_number);
  }
  json["SequenceNumberRange"] = range;
  return json;
}

Json stream_mode_details_json(const StreamInfo& info) { return Json{{"StreamMode", stream_mode_name(info.stream_mode)}}; }

Json enhanced_monitoring_json(const StreamInfo& info) {
  return Json::array({Json{{"ShardLevelMetrics", shard_level_metric_names(info.shard_level_metrics)}}});
}

int64_t retention_period_hours(int64_t retention_ns) {
  constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;
  return std::max<int64_t>(1, (retention_ns + kHourNs - 1) / kHourNs);
}

Json shmstream_retention_json(const StreamInfo& info) {
  Json seconds = info.retention_ns / 1'000'000'000;
  if (info.retention_ns % 1'000'000'000 != 0) seconds = static_cast<double>(info.retention_ns) / 1e9;
  return Json{{"Seconds", seconds},
              {"BytesPerShard", info.retention_bytes},
              {"UnblockTimeoutMillis", info.unblock_timeout_ns / 1'000'000},
              {"SegmentSize", info.segment_size},
              {"Checksums", info.checksums}};
}

}  // namespace shmstream::cli
