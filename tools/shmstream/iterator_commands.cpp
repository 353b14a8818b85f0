// Data-plane reads: get-shard-iterator hands out a token (the library's, shmstream/iterator_token.hpp, so
// Python and C++ programs take it too); get-records reads from it and hands out the next one.
#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "command_table.hpp"
#include "iterator_flags.hpp"
#include "json_output.hpp"
#include "responses.hpp"
#include "request_flags.hpp"
#include "shard_listing.hpp"
#include "shmstream/iterator_token.hpp"
#include "shmstream/reader.hpp"
#include "stream_target.hpp"
#include "text_codecs.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
IteratorStart iterator_start_from_request(const std::string& type_name, const std::optional<std::string>& sequence_text,
                                          bool has_timestamp, const std::function<int64_t()>& timestamp_ns) {
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
    if (!sequence_text) {
      throw_invalid_argument("StartingSequenceNumber must be provided for ShardIteratorType " + type_name);
    }
    const auto sequence = parse_sequence_number(*sequence_text);
    if (!sequence) {
      throw_invalid_argument("1 validation error detected: Value '" + *sequence_text +
                             "' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy "
                             "regular expression pattern: 0|([1-9]\\d{0,128})");
    }
    start.sequence_number = *sequence;
  } else if (sequence_text) {
    throw_invalid_argument("StartingSequenceNumber can only be used with AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER");
  }
  if (wants_timestamp) {
    if (!has_timestamp) {
      throw_invalid_argument("Timestamp must be provided for ShardIteratorType AT_TIMESTAMP");
    }
    start.timestamp_ns = timestamp_ns();
  } else if (has_timestamp) {
    throw_invalid_argument("Timestamp can only be used with AT_TIMESTAMP");
  }
  return start;
}

IteratorStart iterator_start_from_flags(const std::string& type_name, const CLI::Option* sequence_option,
                                        const std::string& sequence_text, const CLI::Option* timestamp_option,
                                        const std::string& timestamp_text) {
  return iterator_start_from_request(
      type_name, sequence_option->count() > 0 ? std::optional(sequence_text) : std::nullopt,
      timestamp_option->count() > 0, [&timestamp_text] { return parse_timestamp("--timestamp", timestamp_text); });
}

namespace {

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
    print_json(get_shard_iterator_response(Stream::open(flags->stream_name, global.resolved_root()), shard_index, start));
    return kExitSuccess;
  };
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
    const std::string root = global.resolved_root();
    print_json(get_records_response(
        token, [&root](const std::string& name) { return Stream::open(name, root); },
        static_cast<uint32_t>(flags->limit), flags->details));
    return kExitSuccess;
  };
}

}  // namespace

void add_iterator_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_get_shard_iterator(app, table, global);
  add_get_records(app, table, global);
}

}  // namespace shmstream::cli
