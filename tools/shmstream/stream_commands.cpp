// Control-plane commands: create-stream, delete-stream, describe-stream, describe-stream-summary,
// list-streams, list-shards.
#include <algorithm>
#include <limits>

#include "attribute_parsers.hpp"
#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "command_table.hpp"
#include "json_output.hpp"
#include "progress_line.hpp"
#include "shard_listing.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

void add_create_stream(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "create-stream", "CreateStream", "Create a stream with N shards");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name;
    long long shard_count = 1;
    std::string segment_size, retention, retention_bytes, mode, stream_mode_details, checksums;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name, [a-zA-Z0-9_.-]{1,128}")->required();
  CLI::Option* shard_count =
      integer_as_given(sub.add_option("--shard-count", flags->shard_count, "Number of shards (default 1)"));
  sub.add_option("--stream-mode-details", flags->stream_mode_details,
                 "StreamMode=PROVISIONED|ON_DEMAND (or as JSON); ON_DEMAND starts with 4 shards unless "
                 "--shard-count says otherwise");
  sub.add_option("--segment-size", flags->segment_size,
                 "shmstream: segment file size, a power of two from 4KiB to 1GiB (default 64MiB)");
  sub.add_option("--retention", flags->retention, "shmstream: retention period such as 90s, 15m, 24h (default 24h)");
  sub.add_option("--retention-bytes", flags->retention_bytes,
                 "shmstream: per-shard byte cap such as 512MiB (default: a share of the filesystem)");
  sub.add_option("--mode", flags->mode, "shmstream: octal file mode, e.g. 0660 for a group-shared stream");
  sub.add_option("--checksums", flags->checksums,
                 "shmstream: on|off, a checksum on every record, fixed at creation (default: on for a root on a "
                 "persistent filesystem, off on tmpfs such as /dev/shm)")
      ->check(CLI::IsMember({"on", "off"}));

  command.run = [flags, shard_count, &global] {
    StreamOptions options;
    check_range("shardCount", flags->shard_count, 1, std::numeric_limits<int32_t>::max());
    options.shard_count = static_cast<uint32_t>(flags->shard_count);
    if (!flags->stream_mode_details.empty()) {
      options.stream_mode = parse_stream_mode_details("--stream-mode-details", flags->stream_mode_details);
      if (options.stream_mode == StreamMode::kOnDemand && shard_count->count() == 0) {
        options.shard_count = kOnDemandInitialShardCount;  // as AWS starts an on-demand stream
      }
    }
    if (!flags->segment_size.empty()) options.segment_size = parse_byte_size("--segment-size", flags->segment_size);
    if (!flags->retention.empty()) options.retention = parse_duration("--retention", flags->retention);
    if (!flags->retention_bytes.empty()) {
      options.retention_bytes = parse_byte_size("--retention-bytes", flags->retention_bytes);
      if (options.retention_bytes == 0) throw_invalid_argument("--retention-bytes must be greater than 0");
    }
    if (!flags->mode.empty()) options.file_mode = parse_file_mode("--mode", flags->mode);
    if (!flags->checksums.empty()) options.checksums = flags->checksums == "on";
    Stream::create(flags->stream_name, options, global.resolved_root());
    return kExitSuccess;  // CreateStream prints nothing, like the AWS CLI
  };
}

void add_delete_stream(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "delete-stream", "DeleteStream", "Delete a stream and all of its records");
  CLI::App& sub = *command.subcommand;
  auto stream_name = std::make_shared<std::string>();
  auto enforce_consumer_deletion = std::make_shared<bool>(false);
  sub.add_option("--stream-name", *stream_name, "Stream name")->required();
  sub.add_flag("--enforce-consumer-deletion,!--no-enforce-consumer-deletion", *enforce_consumer_deletion,
               "Delete the stream even when it has registered consumers (as AWS, refused otherwise)");
  command.run = [stream_name, enforce_consumer_deletion, &global] {
    if (!*enforce_consumer_deletion &&
        !Stream::open(*stream_name, global.resolved_root())->list_consumers().empty()) {
      throw Error(StatusCode::kResourceInUse, "Stream " + *stream_name + " under account " + detail::aws::kAccountId +
                                                  " has registered consumers: deregister them, or delete with "
                                                  "--enforce-consumer-deletion.");
    }
    ProgressLine progress("deleting " + *stream_name);
    Stream::remove(*stream_name, global.resolved_root(),
                   [&progress](uint64_t removed, uint64_t total) { progress.update(removed, total); });
    return kExitSuccess;
  };
}

Json stream_header_fields(const StreamInfo& info) {
  return Json{{"StreamName", info.name},
              {"StreamARN", info.arn},
              {"StreamStatus", info.status},
              {"StreamModeDetails", stream_mode_details_json(info)}};
}

void add_describe_stream(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-stream", "DescribeStream", "Describe a stream and its shards");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name;
    long long limit = 100;
    std::string exclusive_start_shard_id;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  integer_as_given(sub.add_option("--limit", flags->limit, "Maximum number of shards to describe (1..10000, default 100)"));
  sub.add_option("--exclusive-start-shard-id", flags->exclusive_start_shard_id, "Describe shards after this one");

  command.run = [flags, &global] {
    check_range("limit", flags->limit, 1, 10000);
    ShardListingRequest request;
    request.max_results = static_cast<uint32_t>(flags->limit);
    if (!flags->exclusive_start_shard_id.empty()) {
      request.exclusive_start_shard = shard_index_from_flag("exclusiveStartShardId", flags->exclusive_start_shard_id);
    }
    const std::shared_ptr<Stream> stream = Stream::open(flags->stream_name, global.resolved_root());
    const StreamInfo info = stream->describe();
    const ShardListing listing = select_shards(info, request);

    Json description = stream_header_fields(info);
    Json shards = Json::array();
    for (const ShardInfo& shard : listing.shards) shards.push_back(shard_json(shard));
    description["Shards"] = shards;
    description["HasMoreShards"] = listing.has_more;
    description["RetentionPeriodHours"] = retention_period_hours(info.retention_ns);
    description["StreamCreationTimestamp"] = aws_timestamp(info.creation_ns);
    description["EnhancedMonitoring"] = enhanced_monitoring_json(info);
    description["EncryptionType"] = info.encryption_type;
    description["ShmstreamRetention"] = shmstream_retention_json(info);
    print_json(Json{{"StreamDescription", description}});
    return kExitSuccess;
  };
}

void add_describe_stream_summary(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-stream-summary", "DescribeStreamSummary",
                               "Describe a stream without listing its shards");
  auto stream_name = std::make_shared<std::string>();
  command.subcommand->add_option("--stream-name", *stream_name, "Stream name")->required();
  command.run = [stream_name, &global] {
    const std::shared_ptr<Stream> stream = Stream::open(*stream_name, global.resolved_root());
    const StreamInfo info = stream->describe();
    Json summary = stream_header_fields(info);
    summary["RetentionPeriodHours"] = retention_period_hours(info.retention_ns);
    summary["StreamCreationTimestamp"] = aws_timestamp(info.creation_ns);
    summary["EnhancedMonitoring"] = enhanced_monitoring_json(info);
    summary["EncryptionType"] = info.encryption_type;
    summary["OpenShardCount"] = info.open_shard_count;
    summary["ConsumerCount"] = info.consumer_count;
    summary["ShmstreamRetention"] = shmstream_retention_json(info);
    print_json(Json{{"StreamDescriptionSummary", summary}});
    return kExitSuccess;
  };
}

void add_list_streams(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "list-streams", "ListStreams", "List the streams under the root");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    long long limit = 10000;
    std::string exclusive_start_stream_name;
  };
  auto flags = std::make_shared<Flags>();
  integer_as_given(sub.add_option("--limit", flags->limit, "Maximum number of streams to list (1..10000)"));
  sub.add_option("--exclusive-start-stream-name", flags->exclusive_start_stream_name,
                 "List streams whose names sort after this one");
  command.run = [flags, &global] {
    check_range("limit", flags->limit, 1, 10000);
    const std::string root = global.resolved_root();
    Json names = Json::array();
    Json summaries = Json::array();
    bool has_more = false;
    for (const std::string& name : Stream::list(root)) {
      if (!flags->exclusive_start_stream_name.empty() && name <= flags->exclusive_start_stream_name) continue;
      if (names.size() == static_cast<size_t>(flags->limit)) {
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
      summary["StreamCreationTimestamp"] = aws_timestamp(info.creation_ns);
      summaries.push_back(summary);
    }
    print_json(Json{{"StreamNames", names}, {"HasMoreStreams", has_more}, {"StreamSummaries", summaries}});
    return kExitSuccess;
  };
}

void add_list_shards(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "list-shards", "ListShards", "List the shards of a stream");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name;
    long long max_results = 10000;
    std::string exclusive_start_shard_id;
    std::string next_token;
    std::string shard_filter;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name (or --next-token)");
  integer_as_given(sub.add_option("--max-results", flags->max_results, "Maximum number of shards to list (1..10000)"));
  sub.add_option("--exclusive-start-shard-id", flags->exclusive_start_shard_id, "List shards after this one");
  sub.add_option("--next-token", flags->next_token, "NextToken of an earlier, truncated list-shards");
  sub.add_option("--shard-filter", flags->shard_filter,
                 "Type=AFTER_SHARD_ID,ShardId=ID | Type=AT_TRIM_HORIZON | Type=FROM_TRIM_HORIZON | Type=AT_LATEST | "
                 "Type=AT_TIMESTAMP,Timestamp=T | Type=FROM_TIMESTAMP,Timestamp=T (or the same as JSON)");

  command.run = [flags, &global] {
    check_range("maxResults", flags->max_results, 1, 10000);
    ShardListingRequest request;
    request.max_results = static_cast<uint32_t>(flags->max_results);
    std::string stream_name = flags->stream_name;
    ShardFilter filter;
    if (!flags->next_token.empty()) {
      if (!stream_name.empty() || !flags->exclusive_start_shard_id.empty() || !flags->shard_filter.empty()) {
        throw_invalid_argument(
            "NextToken and StreamName, ExclusiveStartShardId or ShardFilter cannot be provided together.");
      }
      const ListShardsPosition position = decode_list_shards_token(flags->next_token);
      stream_name = position.stream_name;
      request.exclusive_start_shard = position.last_shard_index;
      filter = position.filter;  // the token carries the filter of the first page
    } else {
      if (stream_name.empty()) throw_invalid_argument("Either NextToken or StreamName should be provided.");
      if (!flags->exclusive_start_shard_id.empty()) {
        request.exclusive_start_shard = shard_index_from_flag("exclusiveStartShardId", flags->exclusive_start_shard_id);
      }
      if (!flags->shard_filter.empty()) {
        filter = parse_shard_filter(load_parameter_value("--shard-filter", flags->shard_filter));
      }
    }

    const std::shared_ptr<Stream> stream = Stream::open(stream_name, global.resolved_root());
    const StreamInfo info = stream->describe();
    if (filter.type != ShardFilterType::kAll) request.filters.push_back(shard_filter_predicate(*stream, filter));
    const ShardListing listing = select_shards(info, request);
    Json shards = Json::array();
    for (const ShardInfo& shard : listing.shards) shards.push_back(shard_json(shard));
    Json output{{"Shards", shards}};
    if (listing.has_more) {
      output["NextToken"] = encode_list_shards_token(info.name, listing.shards.back().index, filter);
    }
    print_json(output);
    return kExitSuccess;
  };
}

}  // namespace

void add_stream_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_create_stream(app, table, global);
  add_delete_stream(app, table, global);
  add_describe_stream(app, table, global);
  add_describe_stream_summary(app, table, global);
  add_list_streams(app, table, global);
  add_list_shards(app, table, global);
}

}  // namespace shmstream::cli
