// Control-plane commands: create-stream, delete-stream, describe-stream, describe-stream-summary,
// list-streams, list-shards.
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "attribute_parsers.hpp"
#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "command_table.hpp"
#include "json_output.hpp"
#include "progress_line.hpp"
#include "responses.hpp"
#include "paging.hpp"
#include "shard_listing.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {

void add_wait_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);  // wait_command.cpp

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

// The aws CLI's own paging flags: --max-items N prints at most N items in all (with the NextToken to go on
// from), --starting-token T goes on from such a NextToken; pages are still followed.
CLI::Option* add_max_items(CLI::App& sub, long long& max_items) {
  return integer_as_given(sub.add_option("--max-items", max_items,
                                         "At most this many items in all, with a NextToken to continue from"));
}

CLI::Option* add_starting_token(CLI::App& sub, std::string& starting_token) {
  return sub.add_option("--starting-token", starting_token, "Continue from the NextToken of a --max-items listing");
}

// --shmstream-details: the settings an AWS shape has no member for, as a top-level sibling of the AWS response
// object, never inside it (docs/DECISIONS.md, "Extension fields").
void add_details_flag(CLI::App& sub, bool& wanted) {
  sub.add_flag("--shmstream-details", wanted,
               "Add \"ShmstreamDetails\" (exact retention, byte cap, segment size, checksums) beside the AWS object");
}

void add_describe_stream(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-stream", "DescribeStream", "Describe a stream and its shards");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name;
    long long limit = kDescribeStreamPageShards;
    std::string exclusive_start_shard_id;
    bool details = false;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  CLI::Option* limit = integer_as_given(sub.add_option(
      "--limit", flags->limit, "Shards per page (1..10000; a page holds at most 100). Without --limit and "
                               "--exclusive-start-shard-id every page is fetched and merged, as the aws CLI does"));
  CLI::Option* start =
      sub.add_option("--exclusive-start-shard-id", flags->exclusive_start_shard_id, "Describe shards after this one");
  add_details_flag(sub, flags->details);

  command.run = [flags, limit, start, &global] {
    check_range("limit", flags->limit, 1, 10000);
    ShardListingRequest request;
    const bool one_page = limit->count() > 0 || start->count() > 0;
    // One stream.meta snapshot serves every page, so the merged listing is consistent.
    request.max_results = one_page ? std::min<uint32_t>(static_cast<uint32_t>(flags->limit), kDescribeStreamPageShards)
                                   : UINT32_MAX;
    if (!flags->exclusive_start_shard_id.empty()) {
      request.exclusive_start_shard = exclusive_start_index(flags->exclusive_start_shard_id);
    }
    const std::shared_ptr<Stream> stream = Stream::open(flags->stream_name, global.resolved_root());
    print_json(describe_stream_response(stream->describe(), request, flags->details, DocumentForm::kCli));
    return kExitSuccess;
  };
}

void add_describe_stream_summary(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-stream-summary", "DescribeStreamSummary",
                               "Describe a stream without listing its shards");
  struct Flags {
    std::string stream_name;
    bool details = false;
  };
  auto flags = std::make_shared<Flags>();
  command.subcommand->add_option("--stream-name", flags->stream_name, "Stream name")->required();
  add_details_flag(*command.subcommand, flags->details);
  command.run = [flags, &global] {
    const std::shared_ptr<Stream> stream = Stream::open(flags->stream_name, global.resolved_root());
    print_json(describe_stream_summary_response(*stream, flags->details, DocumentForm::kCli));
    return kExitSuccess;
  };
}

void add_list_streams(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "list-streams", "ListStreams", "List the streams under the root");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    long long limit = kListStreamsPageStreams;
    std::string exclusive_start_stream_name;
    std::string next_token;
    long long max_items = 0;
    std::string starting_token;
  };
  auto flags = std::make_shared<Flags>();
  CLI::Option* limit = integer_as_given(sub.add_option(
      "--limit", flags->limit, "Streams per page (1..10000; a page holds at most 100). Without a page flag every "
                               "page is fetched and merged, as the aws CLI does"));
  CLI::Option* start = sub.add_option("--exclusive-start-stream-name", flags->exclusive_start_stream_name,
                                      "List streams whose names sort after this one");
  CLI::Option* token = sub.add_option("--next-token", flags->next_token, "NextToken of an earlier page");
  CLI::Option* max_items = add_max_items(sub, flags->max_items);
  CLI::Option* starting_token = add_starting_token(sub, flags->starting_token);
  command.run = [flags, limit, start, token, max_items, starting_token, &global] {
    check_range("limit", flags->limit, 1, 10000);
    if (max_items->count() > 0) check_range("--max-items", flags->max_items, 1, INT32_MAX);
    const bool one_page = limit->count() > 0 || start->count() > 0 || token->count() > 0;
    size_t page_size =
        one_page ? std::min<size_t>(static_cast<size_t>(flags->limit), kListStreamsPageStreams) : SIZE_MAX;
    if (!one_page && max_items->count() > 0) page_size = static_cast<size_t>(flags->max_items);
    std::string after = flags->exclusive_start_stream_name;
    if (token->count() > 0 && starting_token->count() > 0) {
      throw_invalid_argument("--next-token and --starting-token cannot be used together.");
    }
    if (token->count() > 0 || starting_token->count() > 0) {
      if (start->count() > 0) {
        throw_invalid_argument("NextToken and ExclusiveStartStreamName cannot be provided together.");
      }
      after = decode_list_streams_token(token->count() > 0 ? flags->next_token : flags->starting_token);
    }
    const bool continues = start->count() > 0 || token->count() > 0 || starting_token->count() > 0;
    print_json(list_streams_response(global.resolved_root(), continues ? std::optional(after) : std::nullopt,
                                     page_size, DocumentForm::kCli));
    return kExitSuccess;
  };
}

void add_list_shards(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "list-shards", "ListShards", "List the shards of a stream");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name;
    long long max_results = kListShardsPageShards;
    std::string exclusive_start_shard_id;
    std::string next_token;
    std::string shard_filter;
    long long max_items = 0;
    std::string starting_token;
    std::string stream_creation_timestamp;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name (or --next-token)");
  sub.add_option("--stream-creation-timestamp", flags->stream_creation_timestamp,
                 "Only list the shards if the stream was created at this time (tells a re-created stream apart)");
  CLI::Option* max_results = integer_as_given(sub.add_option(
      "--max-results", flags->max_results, "Shards per page (1..10000; a page holds at most 1000). Without a page "
                                           "flag every page is fetched and merged, as the aws CLI does"));
  CLI::Option* start =
      sub.add_option("--exclusive-start-shard-id", flags->exclusive_start_shard_id, "List shards after this one");
  sub.add_option("--next-token", flags->next_token, "NextToken of an earlier page (valid 300 s)");
  sub.add_option("--shard-filter", flags->shard_filter,
                 "Type=AFTER_SHARD_ID,ShardId=ID | Type=AT_TRIM_HORIZON | Type=FROM_TRIM_HORIZON | Type=AT_LATEST | "
                 "Type=AT_TIMESTAMP,Timestamp=T | Type=FROM_TIMESTAMP,Timestamp=T (or the same as JSON)");

  CLI::Option* max_items = add_max_items(sub, flags->max_items);
  CLI::Option* starting_token = add_starting_token(sub, flags->starting_token);

  command.run = [flags, max_results, start, max_items, starting_token, &global] {
    check_range("maxResults", flags->max_results, 1, 10000);
    if (max_items->count() > 0) check_range("--max-items", flags->max_items, 1, INT32_MAX);
    ShardListingRequest request;
    const bool one_page = max_results->count() > 0 || start->count() > 0 || !flags->next_token.empty();
    request.max_results =
        one_page ? std::min<uint32_t>(static_cast<uint32_t>(flags->max_results), kListShardsPageShards) : UINT32_MAX;
    if (!one_page && max_items->count() > 0) request.max_results = static_cast<uint32_t>(flags->max_items);
    if (!flags->next_token.empty() && starting_token->count() > 0) {
      throw_invalid_argument("--next-token and --starting-token cannot be used together.");
    }
    // --starting-token continues a listing as --next-token does, but keeps following pages.
    if (starting_token->count() > 0) {
      const ListShardsPosition position = decode_list_shards_token(flags->starting_token);
      if (!flags->stream_name.empty() && flags->stream_name != position.stream_name) {
        throw_invalid_argument("--starting-token continues a listing of " + position.stream_name + ", not " +
                               flags->stream_name);
      }
      flags->stream_name.clear();  // the aws CLI passes it along; the token names the stream
      flags->next_token = flags->starting_token;
    }
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
        request.exclusive_start_shard = exclusive_start_index(flags->exclusive_start_shard_id);
      }
      if (!flags->shard_filter.empty()) {
        filter = parse_shard_filter(load_parameter_value("--shard-filter", flags->shard_filter));
      }
    }

    const std::shared_ptr<Stream> stream = Stream::open(stream_name, global.resolved_root());
    const StreamInfo info = stream->describe();
    if (!flags->stream_creation_timestamp.empty()) {
      // The printed creation time has microseconds; a time within a millisecond of it names this stream.
      const int64_t given = parse_timestamp("--stream-creation-timestamp", flags->stream_creation_timestamp);
      if (std::llabs(given - info.creation_ns) >= 1'000'000) {
        throw Error(StatusCode::kResourceNotFound, "Stream " + info.name + " under account " +
                                                       std::string(detail::aws::kAccountId) + " created at " +
                                                       flags->stream_creation_timestamp + " not found.");
      }
    }
    print_json(list_shards_response(*stream, info, request, filter));
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
  add_wait_commands(app, table, global);
}

}  // namespace shmstream::cli
