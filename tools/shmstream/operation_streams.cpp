// Streams, shards and records over the wire: the operations the CLI's stream, reshard, retention, record and
// iterator commands run, on a request document (operations.hpp).
#include <cinttypes>
#include <cstdio>
#include <limits>

#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "iterator_flags.hpp"
#include "operation_requests.hpp"
#include "paging.hpp"
#include "record_wire.hpp"
#include "responses.hpp"
#include "shmstream/limits.hpp"
#include "stream_target.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {
namespace {

Json create_stream(const Operations& operations, const Json& request) {
  StreamOptions options;
  const std::optional<long long> shard_count = integer_member(request, "ShardCount");
  if (shard_count) check_range("shardCount", *shard_count, 1, std::numeric_limits<int32_t>::max());
  options.shard_count = shard_count ? static_cast<uint32_t>(*shard_count) : 1;
  if (const auto details = request.find("StreamModeDetails"); details != request.end()) {
    options.stream_mode = (*details).at("StreamMode") == "ON_DEMAND" ? StreamMode::kOnDemand : StreamMode::kProvisioned;
    if (options.stream_mode == StreamMode::kOnDemand && !shard_count) options.shard_count = kOnDemandInitialShardCount;
  }
  Stream::create(text_member(request, "StreamName"), options, operations.root());
  return nullptr;
}

Json delete_stream(const Operations& operations, const Json& request) {
  const std::string name = requested_stream(request);
  if (!request.value("EnforceConsumerDeletion", false) && !operations.open_stream(name)->list_consumers().empty()) {
    throw Error(StatusCode::kResourceInUse, "Stream " + name + " under account " + detail::aws::kAccountId +
                                                " has registered consumers: deregister them, or delete with "
                                                "EnforceConsumerDeletion.");
  }
  operations.forget_stream(name);  // its files are unmapped before they are removed
  Stream::remove(name, operations.root());
  return nullptr;
}

Json describe_stream(const Operations& operations, const Json& request) {
  const long long limit = integer_member(request, "Limit").value_or(kDescribeStreamPageShards);
  check_range("limit", limit, 1, 10000);
  ShardListingRequest listing;
  listing.max_results = std::min<uint32_t>(static_cast<uint32_t>(limit), kDescribeStreamPageShards);
  if (const auto start = optional_text(request, "ExclusiveStartShardId")) {
    listing.exclusive_start_shard = exclusive_start_index(*start);
  }
  const auto stream = operations.open_stream(requested_stream(request));
  return describe_stream_response(stream->describe(), listing, /*details=*/false, DocumentForm::kWire);
}

Json describe_stream_summary(const Operations& operations, const Json& request) {
  const auto stream = operations.open_stream(requested_stream(request));
  return describe_stream_summary_response(*stream, /*details=*/false, DocumentForm::kWire);
}

Json list_streams(const Operations& operations, const Json& request) {
  const long long limit = integer_member(request, "Limit").value_or(kListStreamsPageStreams);
  check_range("limit", limit, 1, 10000);
  std::optional<std::string> after = optional_text(request, "ExclusiveStartStreamName");
  if (const auto token = optional_text(request, "NextToken")) {
    if (after) throw_invalid_argument("NextToken and ExclusiveStartStreamName cannot be provided together.");
    after = decode_list_streams_token(*token);
  }
  return list_streams_response(operations.root(), after,
                               std::min<size_t>(static_cast<size_t>(limit), kListStreamsPageStreams),
                               DocumentForm::kWire);
}

// ShardFilter as the CLI's --shard-filter JSON, the timestamp as exact epoch seconds text.
ShardFilter shard_filter_from_request(const Json& filter) {
  Json text = filter;
  if (filter.contains("Timestamp")) {
    const int64_t ns = timestamp_ns(filter["Timestamp"]);
    char seconds[48];
    std::snprintf(seconds, sizeof seconds, "%s%" PRId64 ".%09" PRId64, ns < 0 ? "-" : "", (ns < 0 ? -ns : ns) / 1'000'000'000,
                  (ns < 0 ? -ns : ns) % 1'000'000'000);
    text["Timestamp"] = seconds;
  }
  return parse_shard_filter(text.dump());
}

Json list_shards(const Operations& operations, const Json& request) {
  const long long max_results = integer_member(request, "MaxResults").value_or(kListShardsPageShards);
  check_range("maxResults", max_results, 1, 10000);
  ShardListingRequest listing;
  listing.max_results = std::min<uint32_t>(static_cast<uint32_t>(max_results), kListShardsPageShards);
  std::string stream_name;
  ShardFilter filter;
  if (const auto token = optional_text(request, "NextToken")) {
    if (request.contains("ExclusiveStartShardId")) {
      throw_invalid_argument("NextToken and ExclusiveStartShardId cannot be provided together.");
    }
    const ListShardsPosition position = decode_list_shards_token(*token);
    // boto3's list_shards paginator sends the first page's StreamName and ShardFilter with every NextToken
    // (docs/DECISIONS.md): a name of the token's stream is accepted, the token's filter wins.
    if ((request.contains("StreamName") || request.contains("StreamARN")) &&
        requested_stream(request) != position.stream_name) {
      throw_invalid_argument("NextToken continues a listing of " + position.stream_name + ", not " +
                             requested_stream(request));
    }
    stream_name = position.stream_name;
    listing.exclusive_start_shard = position.last_shard_index;
    filter = position.filter;  // the token carries the filter of the first page
  } else {
    if (!request.contains("StreamName") && !request.contains("StreamARN")) {
      throw_invalid_argument("Either NextToken or StreamName should be provided.");
    }
    stream_name = requested_stream(request);
    if (const auto start = optional_text(request, "ExclusiveStartShardId")) {
      listing.exclusive_start_shard = exclusive_start_index(*start);
    }
    if (request.contains("ShardFilter")) filter = shard_filter_from_request(request["ShardFilter"]);
  }
  const auto stream = operations.open_stream(stream_name);
  const StreamInfo info = stream->describe();
  if (request.contains("StreamCreationTimestamp")) {
    // The creation time travels in milliseconds: a time within one of it names this stream.
    const int64_t given = timestamp_ns(request["StreamCreationTimestamp"]);
    if (std::llabs(given - info.creation_ns) >= 1'000'000) {
      throw Error(StatusCode::kResourceNotFound, "Stream " + info.name + " under account " +
                                                     std::string(detail::aws::kAccountId) + " created at " +
                                                     request["StreamCreationTimestamp"].dump() + " not found.");
    }
  }
  return list_shards_response(*stream, info, listing, filter);
}

Json put_record(const Operations& operations, const Json& request) {
  std::optional<HashKey> hash_key;
  if (const auto text = optional_text(request, "ExplicitHashKey")) hash_key = explicit_hash_key_from_text(*text);
  Producer producer(operations.open_stream(requested_stream(request)));
  return put_record_response(producer, text_member(request, "PartitionKey"), blob_member(request, "Data"),
                             hash_key ? &*hash_key : nullptr);
}

Json put_records(const Operations& operations, const Json& request) {
  const Json& records = request.at("Records");
  std::vector<std::optional<HashKey>> hash_keys(records.size());
  std::vector<PutRecordsEntry> entries;
  entries.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const Json& record = records[i];
    if (const auto text = optional_text(record, "ExplicitHashKey")) hash_keys[i] = explicit_hash_key_from_text(*text);
    entries.push_back({record.at("PartitionKey").get_ref<const std::string&>(), blob_member(record, "Data"),
                       hash_keys[i]});
  }
  Producer producer(operations.open_stream(requested_stream(request)));
  return put_records_response(producer, entries);
}

Json get_shard_iterator(const Operations& operations, const Json& request) {
  const std::string type = text_member(request, "ShardIteratorType");
  const IteratorStart start = iterator_start_from_request(
      type, optional_text(request, "StartingSequenceNumber"), request.contains("Timestamp"),
      [&request] { return timestamp_ns(request["Timestamp"]); });
  const std::string stream_name = requested_stream(request);
  const uint32_t shard_index = shard_index_from_flag(text_member(request, "ShardId"), stream_name);
  return get_shard_iterator_response(operations.open_stream(stream_name), shard_index, start);
}

Json split_shard(const Operations& operations, const Json& request) {
  const std::string stream_name = requested_stream(request);
  const uint32_t shard_index = shard_index_from_flag(text_member(request, "ShardToSplit"), stream_name);
  const std::string start_text = text_member(request, "NewStartingHashKey");
  const auto new_start = parse_hash_key(start_text);
  if (!new_start) {
    throw_invalid_argument("1 validation error detected: Value '" + start_text +
                           "' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular "
                           "expression pattern: 0|([1-9]\\d{0,38}) (a decimal below 2^128)");
  }
  operations.open_stream(stream_name)->split_shard(shard_index, *new_start);
  return nullptr;
}

Json merge_shards(const Operations& operations, const Json& request) {
  const std::string stream_name = requested_stream(request);
  const uint32_t to_merge = shard_index_from_flag(text_member(request, "ShardToMerge"), stream_name);
  const uint32_t adjacent = shard_index_from_flag(text_member(request, "AdjacentShardToMerge"), stream_name);
  operations.open_stream(stream_name)->merge_shards(to_merge, adjacent);
  return nullptr;
}

Json update_shard_count(const Operations& operations, const Json& request) {
  const long long target = request.at("TargetShardCount").get<long long>();
  check_range("targetShardCount", target, 1, std::numeric_limits<int32_t>::max());
  const auto stream = operations.open_stream(requested_stream(request));
  return update_shard_count_response(*stream, static_cast<uint32_t>(target));
}

Json increase_retention(const Operations& operations, const Json& request) {
  operations.open_stream(requested_stream(request))
      ->increase_retention_period(request.at("RetentionPeriodHours").get<int64_t>());
  return nullptr;
}

Json decrease_retention(const Operations& operations, const Json& request) {
  operations.open_stream(requested_stream(request))
      ->decrease_retention_period(request.at("RetentionPeriodHours").get<int64_t>());
  return nullptr;
}

}  // namespace

GetRecordsCall get_records_call(const Json& request) {
  const long long limit = integer_member(request, "Limit").value_or(kMaxGetRecordsLimit);
  check_range("limit", limit, 1, kMaxGetRecordsLimit);
  IteratorToken token = decode_iterator_token(text_member(request, "ShardIterator"), now_ns());
  if (const auto arn = optional_text(request, "StreamARN"); arn && stream_name_from_arn(*arn) != token.stream_name) {
    throw_invalid_argument("StreamARN " + *arn + " does not name the stream of the iterator (" + token.stream_name + ")");
  }
  return {std::move(token), static_cast<uint32_t>(limit)};
}

std::vector<OperationEntry> stream_operations() {
  return {{"CreateStream", create_stream},
          {"DeleteStream", delete_stream},
          {"DescribeStream", describe_stream},
          {"DescribeStreamSummary", describe_stream_summary},
          {"ListStreams", list_streams},
          {"ListShards", list_shards},
          {"PutRecord", put_record},
          {"PutRecords", put_records, nullptr, put_records_from_body},
          {"GetShardIterator", get_shard_iterator},
          {"GetRecords", nullptr, get_records_wire},
          {"SplitShard", split_shard},
          {"MergeShards", merge_shards},
          {"UpdateShardCount", update_shard_count},
          {"IncreaseStreamRetentionPeriod", increase_retention},
          {"DecreaseStreamRetentionPeriod", decrease_retention}};
}

}  // namespace shmstream::cli
