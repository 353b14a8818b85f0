// Data-plane reads: get-shard-iterator hands out a token (the library's, shmstream/iterator_token.hpp, so
// Python and C++ programs take it too); get-records reads from it and hands out the next one.
#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "command_table.hpp"
#include "iterator_flags.hpp"
#include "json_output.hpp"
#include "request_flags.hpp"
#include "shard_listing.hpp"
#include "shmstream/iterator_token.hpp"
#include "shmstream/reader.hpp"
#include "stream_target.hpp"
#include "text_codecs.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

[[noreturn]] void shard_not_found(const std::string& stream_name, uint32_t shard_index) {
  throw Error(StatusCode::kResourceNotFound,
              "Shard " + shard_id_text(shard_index) + detail::aws::in_stream(stream_name) + " does not exist");
}

}  // namespace

IteratorStart iterator_start_from_flags(const std::string& type_name, const CLI::Option* sequence_option,
                                        const std::string& sequence_text, const CLI::Option* timestamp_option,
                                        const std::string& timestamp_text) {
  IteratorStart start;
  if (!parse_iterator_type(type_name, start.type)) {
    throw_invalid_argument("1 validation error detected: Value '" + type_name +
                           "' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value "
                           "set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]");
  }
  const bool wants_sequence =
      start.type == IteratorType::kAtSequenceNumber || start.type == IteratorType::kAfterSequenceNumber;
  const bool wants_timestamp = start.type == IteratorType::kAtTimestamp;
  if (wants_sequence) {
    if (sequence_option->count() == 0) {
      throw_invalid_argument("StartingSequenceNumber must be provided for ShardIteratorType " + type_name);
    }
    const auto sequence = parse_sequence_number(sequence_text);
    if (!sequence) {
      throw_invalid_argument("1 validation error detected: Value '" + sequence_text +
                             "' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy "
                             "regular expression pattern: 0|([1-9]\\d{0,128})");
    }
    start.sequence_number = *sequence;
  } else if (sequence_option->count() > 0) {
    throw_invalid_argument("StartingSequenceNumber can only be used with AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER");
  }
  if (wants_timestamp) {
    if (timestamp_option->count() == 0) {
      throw_invalid_argument("Timestamp must be provided for ShardIteratorType AT_TIMESTAMP");
    }
    start.timestamp_ns = parse_timestamp("--timestamp", timestamp_text);
  } else if (timestamp_option->count() > 0) {
    throw_invalid_argument("Timestamp can only be used with AT_TIMESTAMP");
  }
  return start;
}

namespace {

// The shard as the API may see it: ResourceNotFound for indexes never used and for EXPIRED shards.
ShardInfo visible_shard(const Stream& stream, uint32_t shard_index) {
  const StreamInfo info = stream.describe();
  if (shard_index >= info.shards.size() || !is_listed_shard(info.shards[shard_index])) {
    shard_not_found(info.name, shard_index);
  }
  return info.shards[shard_index];
}

void add_get_shard_iterator(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "get-shard-iterator", "GetShardIterator",
                               "Get a shard iterator (valid 5 minutes) to read a shard from a position");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, shard_id, type, sequence, timestamp;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  sub.add_option("--shard-id", flags->shard_id, "Shard id, e.g. shardId-000000000000")->required();
  sub.add_option("--shard-iterator-type", flags->type,
                 "TRIM_HORIZON | LATEST | AT_SEQUENCE_NUMBER | AFTER_SEQUENCE_NUMBER | AT_TIMESTAMP")
      ->required();
  CLI::Option* sequence = sub.add_option("--starting-sequence-number", flags->sequence,
                                         "Sequence number for AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER");
  CLI::Option* timestamp =
      sub.add_option("--timestamp", flags->timestamp, "For AT_TIMESTAMP: epoch seconds (1700000000.5) or ISO 8601");

  command.run = [flags, sequence, timestamp, &global] {
    const IteratorStart start =
        iterator_start_from_flags(flags->type, sequence, flags->sequence, timestamp, flags->timestamp);
    const uint32_t shard_index = shard_index_from_flag(flags->shard_id, flags->stream_name);
    std::shared_ptr<Stream> stream = Stream::open(flags->stream_name, global.resolved_root());
    visible_shard(*stream, shard_index);
    const ShardReader reader(stream, shard_index, start);
    print_json(Json{{"ShardIterator", issue_iterator_token(*stream, shard_index, reader.position(), now_ns())}});
    return kExitSuccess;
  };
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

void add_get_records(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "get-records", "GetRecords", "Read records from a shard iterator");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string shard_iterator;
    long long limit = kMaxGetRecordsLimit;
    bool details = false;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--shard-iterator", flags->shard_iterator, "ShardIterator or NextShardIterator")->required();
  integer_as_given(sub.add_option("--limit", flags->limit, "Maximum number of records (1..10000, default 10000)"));
  sub.add_flag("--shmstream-details", flags->details,
               "Add \"ShmstreamDetails\": {\"Base64PartitionKeys\": [sequence numbers]} naming the records whose "
               "PartitionKey is shown in base64 because it is not UTF-8 (keys put through the C++ or Python API)");

  command.run = [flags, &sub, &global] {
    check_range("limit", flags->limit, 1, kMaxGetRecordsLimit);
    const IteratorToken token = decode_iterator_token(flags->shard_iterator, now_ns());
    // --stream-arn (added where the model has StreamARN) must name the iterator's stream.
    if (const CLI::Option* arn = sub.get_option_no_throw("--stream-arn"); arn != nullptr && arn->count() > 0) {
      if (stream_name_from_arn(arn->results().front()) != token.stream_name) {
        throw_invalid_argument("StreamARN " + arn->results().front() + " does not name the stream of the iterator (" +
                               token.stream_name + ")");
      }
    }
    std::shared_ptr<Stream> stream = Stream::open(token.stream_name, global.resolved_root());
    verify_iterator_token(*stream, token);
    // The token holds an exact position: start anywhere cheap and seek there.
    ShardReader reader(stream, token.shard_index, IteratorStart{IteratorType::kTrimHorizon});
    throw_unless_ok(reader.seek(token.position));
    RecordBatch batch;
    const Status status = reader.get_records(batch, static_cast<uint32_t>(flags->limit));
    if (status.code() == StatusCode::kThroughputExceeded) {
      throw Error(status.code(), detail::aws::rate_exceeded(stream->name(), shard_id_text(token.shard_index)));
    }
    throw_unless_ok(status);

    Json records = Json::array();
    Json base64_keys = Json::array();
    for (const RecordView& record : batch.records) {
      Json item{{"SequenceNumber", format_sequence_number(record.sequence_number)},
                {"ApproximateArrivalTimestamp", aws_timestamp(record.arrival_ns)},
                {"Data", base64_encode(record.data)}};
      // A key that is not UTF-8 is shown in base64 (never with U+FFFD); the marker stays out of the AWS shape.
      if (!set_partition_key(item, record.partition_key, /*mark_encoding=*/false)) {
        base64_keys.push_back(item["SequenceNumber"]);
      }
      records.push_back(std::move(item));
    }
    Json output{{"Records", records}};
    if (!batch.shard_ended) {
      output["NextShardIterator"] = issue_iterator_token(*stream, token.shard_index, batch.next_position, now_ns());
    }
    output["MillisBehindLatest"] = batch.millis_behind_latest;
    if (batch.shard_ended) output["ChildShards"] = child_shards_json(*stream, batch.child_shards);
    if (flags->details) output["ShmstreamDetails"] = Json{{"Base64PartitionKeys", base64_keys}};
    print_json(output);
    return kExitSuccess;
  };
}

}  // namespace

void add_iterator_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_get_shard_iterator(app, table, global);
  add_get_records(app, table, global);
}

}  // namespace shmstream::cli
