#include "record_wire.hpp"

#include <charconv>

#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "common/base64.hpp"
#include "operation_requests.hpp"
#include "responses.hpp"
#include "shmstream/clock.hpp"
#include "text_codecs.hpp"

namespace shmstream::cli {
namespace {

// "shardId-000000000123" for each shard index, formatted once per thread.
const std::string& shard_id(uint32_t index) {
  thread_local std::vector<std::string> texts;
  if (index >= texts.size()) texts.resize(static_cast<size_t>(index) + 1);
  if (texts[index].empty()) texts[index] = shard_id_text(index);
  return texts[index];
}

template <class Integer>
void append_integer(Integer value, std::string& out) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  out.append(text, static_cast<size_t>(end - text));
}

void append_cbor_text(std::string_view text, std::string& out) {
  append_cbor_head(3, text.size(), out);
  out.append(text);
}

// A CBOR integer as nlohmann's to_cbor writes one: major 0, or major 1 with -1 - value.
void append_cbor_integer(int64_t value, std::string& out) {
  if (value >= 0) {
    append_cbor_head(0, static_cast<uint64_t>(value), out);
  } else {
    append_cbor_head(1, static_cast<uint64_t>(-1 - value), out);
  }
}

int64_t floor_millis(int64_t ns) { return ns / 1'000'000 - (ns % 1'000'000 < 0 ? 1 : 0); }

// One PutRecordsResultEntry: {"SequenceNumber", "ShardId"} or {"ErrorCode", "ErrorMessage"}.
void append_put_result(const PutRecordsResultEntry& result, const Producer& producer, WireFormat format,
                       std::string& out) {
  char sequence[24];
  const std::string_view first = result.status ? "SequenceNumber" : "ErrorCode";
  const std::string_view second = result.status ? "ShardId" : "ErrorMessage";
  std::string_view first_value, second_value;
  std::string message;
  if (result.status) {
    first_value = std::string_view(sequence, static_cast<size_t>(
                                                 std::to_chars(sequence, sequence + sizeof sequence,
                                                               result.result.sequence_number).ptr - sequence));
    second_value = shard_id(result.result.shard_index);
  } else {
    first_value = exception_name(result.status.code());
    message = result.status.code() == StatusCode::kThroughputExceeded
                  ? detail::aws::rate_exceeded(producer.stream()->name(), shard_id(result.result.shard_index))
                  : std::string(result.status.detail());
    second_value = message;
  }
  if (format == WireFormat::kJson) {
    out += "{\"";
    out += first;
    out += "\":";
    append_json_string(first_value, out);
    out += ",\"";
    out += second;
    out += "\":";
    append_json_string(second_value, out);
    out += '}';
  } else {
    append_cbor_head(5, 2, out);
    append_cbor_text(first, out);
    append_cbor_text(first_value, out);
    append_cbor_text(second, out);
    append_cbor_text(second_value, out);
  }
}

// One Record of GetRecords: SequenceNumber, ApproximateArrivalTimestamp, Data, PartitionKey (base64 when it is
// not UTF-8, as get_records_response shows it), and EncryptionType KMS for an encrypted one.
void append_record(const RecordView& record, WireFormat format, std::string& out) {
  char sequence[24];
  const std::string_view sequence_text(
      sequence, static_cast<size_t>(std::to_chars(sequence, sequence + sizeof sequence, record.sequence_number).ptr -
                                    sequence));
  const bool key_is_text = is_utf8(record.partition_key);
  if (format == WireFormat::kJson) {
    out += "{\"SequenceNumber\":\"";
    out += sequence_text;  // digits: nothing to escape
    out += "\",\"ApproximateArrivalTimestamp\":";
    append_json_timestamp(record.arrival_ns, out);
    out += ",\"Data\":\"";
    detail::base64_encode_append(record.data, out);
    out += "\",\"PartitionKey\":";
    if (key_is_text) {
      append_json_string(record.partition_key, out);
    } else {
      out += '"';
      detail::base64_encode_append(record.partition_key, out);
      out += '"';
    }
    if (record.encrypted) {
      out += ",\"EncryptionType\":";
      append_json_string(kKmsEncryption, out);
    }
    out += '}';
    return;
  }
  append_cbor_head(5, record.encrypted ? 5 : 4, out);
  append_cbor_text("SequenceNumber", out);
  append_cbor_text(sequence_text, out);
  append_cbor_text("ApproximateArrivalTimestamp", out);
  append_cbor_head(6, 1, out);  // tag 1: epoch-based date/time, in milliseconds as the Java SDKs read it
  append_cbor_integer(floor_millis(record.arrival_ns), out);
  append_cbor_text("Data", out);
  append_cbor_head(2, record.data.size(), out);
  out.append(record.data);
  append_cbor_text("PartitionKey", out);
  if (key_is_text) {
    append_cbor_text(record.partition_key, out);
  } else {
    append_cbor_head(3, (record.partition_key.size() + 2) / 3 * 4, out);
    detail::base64_encode_append(record.partition_key, out);
  }
  if (record.encrypted) {
    append_cbor_text("EncryptionType", out);
    append_cbor_text(kKmsEncryption, out);
  }
}

}  // namespace

std::string put_records_wire(const Operations& operations, PutRecordsWireRequest& request, WireFormat format) {
  // In the order of the operation (operation_streams.cpp): hash keys, then the stream.
  for (size_t i = 0; i < request.entries.size(); ++i) {
    if (!request.explicit_hash_keys[i].empty()) {
      request.entries[i].explicit_hash_key = explicit_hash_key_from_text(std::string(request.explicit_hash_keys[i]));
    }
  }
  Json target = Json::object();
  if (request.has_stream_name) target["StreamName"] = request.stream_name;
  if (request.has_stream_arn) target["StreamARN"] = request.stream_arn;
  Producer producer(operations.open_stream(requested_stream(target)));

  thread_local std::vector<PutRecordsResultEntry> results;
  results.assign(request.entries.size(), PutRecordsResultEntry{});
  Status request_status;
  const uint32_t failed = producer.put_records(request.entries, results, request_status);
  throw_unless_ok(request_status);

  std::string out;
  out.reserve(64 + results.size() * 96);
  if (format == WireFormat::kJson) {
    out += "{\"FailedRecordCount\":";
    append_integer(failed, out);
    out += ",\"Records\":[";
    for (size_t i = 0; i < results.size(); ++i) {
      if (i > 0) out += ',';
      append_put_result(results[i], producer, format, out);
    }
    out += ']';
    if (producer.encrypted()) {
      out += ",\"EncryptionType\":";
      append_json_string(kKmsEncryption, out);
    }
    out += '}';
  } else {
    append_cbor_head(5, producer.encrypted() ? 3 : 2, out);
    append_cbor_text("FailedRecordCount", out);
    append_cbor_head(0, failed, out);
    append_cbor_text("Records", out);
    append_cbor_head(4, results.size(), out);
    for (const PutRecordsResultEntry& result : results) append_put_result(result, producer, format, out);
    if (producer.encrypted()) {
      append_cbor_text("EncryptionType", out);
      append_cbor_text(kKmsEncryption, out);
    }
  }
  return out;
}

bool put_records_from_body(const Operations& operations, std::string_view body, WireFormat format,
                           std::string& response) {
  // Reused by the thread: its entry list and byte buffer keep their capacity from request to request.
  thread_local PutRecordsWireRequest request;
  if (!decode_put_records(ServiceModel::kinesis(), body, format, request)) return false;
  response = put_records_wire(operations, request, format);
  return true;
}

std::string get_records_wire(const Operations& operations, const Json& request, WireFormat format) {
  const GetRecordsCall call = get_records_call(request);
  thread_local RecordBatch batch;  // its record list keeps its capacity
  // The reader lives to the end: the batch's views are its.
  const GetRecordsRead read = read_get_records(
      call.token, [&operations](const std::string& name) { return operations.open_stream(name); }, call.limit,
      batch);
  const std::shared_ptr<Stream>& stream = read.stream;

  size_t size = 256;
  for (const RecordView& record : batch.records) {
    size += 120 + (record.data.size() + 2) / 3 * 4 + record.partition_key.size() * 2;
  }
  std::string out;
  out.reserve(size);
  // Records, MillisBehindLatest, and NextShardIterator or (at the end of a closed shard) ChildShards.
  constexpr size_t kMembers = 3;
  if (format == WireFormat::kJson) {
    out += "{\"Records\":[";
    for (size_t i = 0; i < batch.records.size(); ++i) {
      if (i > 0) out += ',';
      append_record(batch.records[i], format, out);
    }
    out += ']';
  } else {
    append_cbor_head(5, kMembers, out);
    append_cbor_text("Records", out);
    append_cbor_head(4, batch.records.size(), out);
    for (const RecordView& record : batch.records) append_record(record, format, out);
  }
  // The members after Records, in the order of the CLI's document (get_records_response).
  if (!batch.shard_ended) {
    const std::string iterator = issue_iterator_token(*stream, call.token.shard_index, batch.next_position, now_ns());
    if (format == WireFormat::kJson) {
      out += ",\"NextShardIterator\":";
      append_json_string(iterator, out);
    } else {
      append_cbor_text("NextShardIterator", out);
      append_cbor_text(iterator, out);
    }
  }
  if (format == WireFormat::kJson) {
    out += ",\"MillisBehindLatest\":";
    append_integer(batch.millis_behind_latest, out);
  } else {
    append_cbor_text("MillisBehindLatest", out);
    append_cbor_integer(batch.millis_behind_latest, out);
  }
  if (batch.shard_ended) {
    const Json children = child_shards_json(*stream, batch.child_shards);
    if (format == WireFormat::kJson) {
      out += ",\"ChildShards\":";
    } else {
      append_cbor_text("ChildShards", out);
    }
    const Json& output = ServiceModel::kinesis().shape("GetRecordsOutput");
    append_wire_value(ServiceModel::kinesis(), output.at("members").at("ChildShards").at("shape").get<std::string>(),
                      children, format, out);
  }
  if (format == WireFormat::kJson) out += '}';
  return out;
}

}  // namespace shmstream::cli
