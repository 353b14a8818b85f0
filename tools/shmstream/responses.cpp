#include "responses.hpp"

#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "paging.hpp"
#include "text_codecs.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {
namespace {

Json stream_header_fields(const StreamInfo& info) {
  return Json{{"StreamName", info.name},
              {"StreamARN", info.arn},
              {"StreamStatus", info.status},
              {"StreamModeDetails", stream_mode_details_json(info)}};
}

[[noreturn]] void shard_not_found(const std::string& stream_name, uint32_t shard_index) {
  throw Error(StatusCode::kResourceNotFound,
              "Shard " + shard_id_text(shard_index) + detail::aws::in_stream(stream_name) + " does not exist");
}

// The shard as the API may see it: ResourceNotFound for indexes never used and for EXPIRED shards.
void check_visible_shard(const Stream& stream, uint32_t shard_index) {
  const StreamInfo info = stream.describe();
  if (shard_index >= info.shards.size() || !is_listed_shard(info.shards[shard_index])) {
    shard_not_found(info.name, shard_index);
  }
}

}  // namespace

Json timestamp_json(int64_t ns_since_epoch, DocumentForm form) {
  return form == DocumentForm::kCli ? Json(aws_timestamp(ns_since_epoch)) : wire_timestamp(ns_since_epoch);
}

Json blob_json(std::string_view bytes, DocumentForm form) {
  if (form == DocumentForm::kCli) return base64_encode(bytes);
  return Json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Json describe_stream_response(const StreamInfo& info, const ShardListingRequest& request, bool details,
                              DocumentForm form) {
  const ShardListing listing = select_shards(info, request);
  Json description = stream_header_fields(info);
  Json shards = Json::array();
  for (const ShardInfo& shard : listing.shards) shards.push_back(shard_json(shard));
  description["Shards"] = shards;
  description["HasMoreShards"] = listing.has_more;
  description["RetentionPeriodHours"] = retention_period_hours(info.retention_ns);
  description["StreamCreationTimestamp"] = timestamp_json(info.creation_ns, form);
  description["EnhancedMonitoring"] = enhanced_monitoring_json(info);
  description["EncryptionType"] = info.encryption_type;
  if (!info.key_id.empty()) description["KeyId"] = info.key_id;
  Json output{{"StreamDescription", description}};
  if (details) output["ShmstreamDetails"] = shmstream_details_json(info);
  return output;
}

Json describe_stream_summary_response(const Stream& stream, bool details, DocumentForm form) {
  const StreamInfo info = stream.describe();
  Json summary = stream_header_fields(info);
  summary["RetentionPeriodHours"] = retention_period_hours(info.retention_ns);
  summary["StreamCreationTimestamp"] = timestamp_json(info.creation_ns, form);
  summary["EnhancedMonitoring"] = enhanced_monitoring_json(info);
  summary["EncryptionType"] = info.encryption_type;
  if (!info.key_id.empty()) summary["KeyId"] = info.key_id;
  summary["OpenShardCount"] = info.open_shard_count;
  // From attributes.json: a damaged one fails this summary (and the consumer commands), not describe-stream.
  summary["ConsumerCount"] = stream.list_consumers().size();
  Json output{{"StreamDescriptionSummary", summary}};
  if (details) output["ShmstreamDetails"] = shmstream_details_json(info);
  return output;
}

Json list_streams_response(const std::string& root, const std::optional<std::string>& after, size_t page_size,
                           DocumentForm form) {
  Json names = Json::array();
  Json summaries = Json::array();
  bool has_more = false;
  for (const std::string& name : Stream::list(root)) {
    if (after && name <= *after) continue;
    if (names.size() == page_size) {
      has_more = true;
      break;
    }
    StreamInfo info;
    try {
      info = Stream::open(name, root)->describe();
    } catch (const Error&) {
      continue;  // deleted (or being deleted) between list and open
    }
    names.push_back(name);
    Json summary = stream_header_fields(info);
    summary["StreamCreationTimestamp"] = timestamp_json(info.creation_ns, form);
    summaries.push_back(summary);
  }
  Json output{{"StreamNames", names}, {"HasMoreStreams", has_more}};
  if (has_more) output["NextToken"] = encode_list_streams_token(names.back().get<std::string>());
  output["StreamSummaries"] = summaries;
  return output;
}

Json list_shards_response(const Stream& stream, const StreamInfo& info, ShardListingRequest request,
                          const ShardFilter& filter) {
  if (filter.type != ShardFilterType::kAll) request.filters.push_back(shard_filter_predicate(stream, filter));
  const ShardListing listing = select_shards(info, request);
  Json shards = Json::array();
  for (const ShardInfo& shard : listing.shards) shards.push_back(shard_json(shard));
  Json output{{"Shards", shards}};
  if (listing.has_more) output["NextToken"] = encode_list_shards_token(info.name, listing.shards.back().index, filter);
  return output;
}

Json put_record_response(Producer& producer, std::string_view partition_key, std::string_view data,
                         const HashKey* explicit_hash_key) {
  PutResult result;
  const Status status = producer.put_record(partition_key, data, result, explicit_hash_key);
  if (status.code() == StatusCode::kThroughputExceeded) {
    throw Error(status.code(), detail::aws::rate_exceeded(producer.stream()->name(), shard_id_text(result.shard_index)));
  }
  throw_unless_ok(status);
  Json response{{"ShardId", shard_id_text(result.shard_index)},
                {"SequenceNumber", format_sequence_number(result.sequence_number)}};
  if (producer.encrypted()) response["EncryptionType"] = kKmsEncryption;  // absent for plain records, as in AWS
  return response;
}

Json put_records_response(Producer& producer, const std::vector<PutRecordsEntry>& entries) {
  std::vector<PutRecordsResultEntry> results(entries.size());
  Status request_status;
  const uint32_t failed = producer.put_records(entries, results, request_status);
  throw_unless_ok(request_status);
  Json output_records = Json::array();
  for (const PutRecordsResultEntry& result : results) {
    if (result.status) {
      output_records.push_back(Json{{"SequenceNumber", format_sequence_number(result.result.sequence_number)},
                                    {"ShardId", shard_id_text(result.result.shard_index)}});
    } else if (result.status.code() == StatusCode::kThroughputExceeded) {
      output_records.push_back(Json{{"ErrorCode", exception_name(result.status.code())},
                                    {"ErrorMessage", detail::aws::rate_exceeded(producer.stream()->name(),
                                                                                shard_id_text(result.result.shard_index))}});
    } else {
      output_records.push_back(
          Json{{"ErrorCode", exception_name(result.status.code())}, {"ErrorMessage", result.status.detail()}});
    }
  }
  Json response{{"FailedRecordCount", failed}, {"Records", output_records}};
  if (producer.encrypted()) response["EncryptionType"] = kKmsEncryption;
  return response;
}

Json child_shards_json(const Stream& stream, const std::vector<uint32_t>& children) {
  Json json = Json::array();
  for (const uint32_t child_index : children) {
    const ShardInfo child = stream.describe_shard(child_index);
    Json parents = Json::array();
    if (child.parent_index) parents.push_back(shard_id_text(*child.parent_index));
    if (child.adjacent_parent_index) parents.push_back(shard_id_text(*child.adjacent_parent_index));
    json.push_back(
        Json{{"ShardId", child.shard_id}, {"ParentShards", parents}, {"HashKeyRange", hash_key_range_json(child)}});
  }
  return json;
}

Json get_shard_iterator_response(const std::shared_ptr<Stream>& stream, uint32_t shard_index,
                                 const IteratorStart& start) {
  check_visible_shard(*stream, shard_index);
  const ShardReader reader(stream, shard_index, start);
  return Json{{"ShardIterator", issue_iterator_token(*stream, shard_index, reader.position(), now_ns())}};
}

GetRecordsRead read_get_records(const IteratorToken& token,
                                const std::function<std::shared_ptr<Stream>(const std::string&)>& open,
                                uint32_t limit, RecordBatch& batch) {
  std::shared_ptr<Stream> stream = open(token.stream_name);
  verify_iterator_token(*stream, token);
  // The token holds an exact position: start anywhere cheap and seek there.
  GetRecordsRead read{stream, ShardReader(stream, token.shard_index, IteratorStart{IteratorType::kTrimHorizon})};
  throw_unless_ok(read.reader.seek(token.position));
  const Status status = read.reader.get_records(batch, limit);
  if (status.code() == StatusCode::kThroughputExceeded) {
    throw Error(status.code(), detail::aws::rate_exceeded(stream->name(), shard_id_text(token.shard_index)));
  }
  throw_unless_ok(status);
  return read;
}

Json get_records_response(const IteratorToken& token,
                          const std::function<std::shared_ptr<Stream>(const std::string&)>& open, uint32_t limit,
                          bool details) {
  constexpr DocumentForm form = DocumentForm::kCli;
  RecordBatch batch;
  const GetRecordsRead read = read_get_records(token, open, limit, batch);
  const std::shared_ptr<Stream>& stream = read.stream;

  Json records = Json::array();
  Json base64_keys = Json::array();
  for (const RecordView& record : batch.records) {
    Json item{{"SequenceNumber", format_sequence_number(record.sequence_number)},
              {"ApproximateArrivalTimestamp", timestamp_json(record.arrival_ns, form)},
              {"Data", blob_json(record.data, form)}};
    // A key that is not UTF-8 is shown in base64 (never with U+FFFD); the marker stays out of the AWS shape.
    if (!set_partition_key(item, record.partition_key, /*mark_encoding=*/false)) {
      base64_keys.push_back(item["SequenceNumber"]);
    }
    if (record.encrypted) item["EncryptionType"] = kKmsEncryption;
    records.push_back(std::move(item));
  }
  Json output{{"Records", records}};
  if (!batch.shard_ended) {
    output["NextShardIterator"] = issue_iterator_token(*stream, token.shard_index, batch.next_position, now_ns());
  }
  output["MillisBehindLatest"] = batch.millis_behind_latest;
  if (batch.shard_ended) output["ChildShards"] = child_shards_json(*stream, batch.child_shards);
  if (details) output["ShmstreamDetails"] = Json{{"Base64PartitionKeys", base64_keys}};
  return output;
}

Json update_shard_count_response(Stream& stream, uint32_t target_shard_count) {
  const uint32_t current = stream.update_shard_count(target_shard_count);
  const StreamInfo info = stream.describe();
  return Json{{"StreamName", info.name},
              {"CurrentShardCount", current},
              {"TargetShardCount", target_shard_count},
              {"StreamARN", info.arn}};
}

}  // namespace shmstream::cli
