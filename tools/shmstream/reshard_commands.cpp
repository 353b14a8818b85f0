// Resharding commands: split-shard, merge-shards, update-shard-count. The rules (adjacency, ranges, the
// double/half limit of UpdateShardCount) and their AWS error messages live in the core library; this file
// only turns flags into calls.
#include <limits>

#include "command_helpers.hpp"
#include "command_table.hpp"
#include "json_output.hpp"
#include "responses.hpp"

namespace shmstream::cli {
namespace {

void add_split_shard(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "split-shard", "SplitShard", "Split an open shard into two children at a hash key");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, shard_to_split, new_starting_hash_key;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  sub.add_option("--shard-to-split", flags->shard_to_split, "Shard id of the open shard to split")->required();
  sub.add_option("--new-starting-hash-key", flags->new_starting_hash_key,
                 "Decimal hash key where the second child starts (above the shard's start, at most its end)")
      ->required();

  command.run = [flags, &global] {
    const uint32_t shard_index = shard_index_from_flag(flags->shard_to_split, flags->stream_name);
    const auto new_start = parse_hash_key(flags->new_starting_hash_key);
    if (!new_start) {
      throw_invalid_argument("1 validation error detected: Value '" + flags->new_starting_hash_key +
                             "' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular "
                             "expression pattern: 0|([1-9]\\d{0,38}) (a decimal below 2^128)");
    }
    Stream::open(flags->stream_name, global.resolved_root())->split_shard(shard_index, *new_start);
    return kExitSuccess;  // SplitShard prints nothing, like the AWS CLI
  };
}

void add_merge_shards(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command =
      table.add(app, "merge-shards", "MergeShards", "Merge two open shards with adjacent hash key ranges");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, shard_to_merge, adjacent_shard_to_merge;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  sub.add_option("--shard-to-merge", flags->shard_to_merge, "Shard id; becomes the child's ParentShardId")->required();
  sub.add_option("--adjacent-shard-to-merge", flags->adjacent_shard_to_merge,
                 "Shard id of an open shard whose range is adjacent; becomes the AdjacentParentShardId")
      ->required();

  command.run = [flags, &global] {
    const uint32_t to_merge = shard_index_from_flag(flags->shard_to_merge, flags->stream_name);
    const uint32_t adjacent = shard_index_from_flag(flags->adjacent_shard_to_merge, flags->stream_name);
    Stream::open(flags->stream_name, global.resolved_root())->merge_shards(to_merge, adjacent);
    return kExitSuccess;  // MergeShards prints nothing, like the AWS CLI
  };
}

void add_update_shard_count(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "update-shard-count", "UpdateShardCount",
                               "Resize to N open shards of equal hash key ranges (at most double or half per call)");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, scaling_type;
    long long target_shard_count = 0;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  integer_as_given(sub.add_option("--target-shard-count", flags->target_shard_count, "Number of open shards wanted"))->required();
  sub.add_option("--scaling-type", flags->scaling_type, "UNIFORM_SCALING (the only type)")->required();

  command.run = [flags, &global] {
    if (flags->scaling_type != "UNIFORM_SCALING") {
      throw_invalid_argument("1 validation error detected: Value '" + flags->scaling_type +
                             "' at 'scalingType' failed to satisfy constraint: Member must satisfy enum value set: "
                             "[UNIFORM_SCALING]");
    }
    check_range("targetShardCount", flags->target_shard_count, 1, std::numeric_limits<int32_t>::max());
    const std::shared_ptr<Stream> stream = Stream::open(flags->stream_name, global.resolved_root());
    const auto target = static_cast<uint32_t>(flags->target_shard_count);
    print_json(update_shard_count_response(*stream, target));
    return kExitSuccess;
  };
}

}  // namespace

void add_reshard_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_split_shard(app, table, global);
  add_merge_shards(app, table, global);
  add_update_shard_count(app, table, global);
}

}  // namespace shmstream::cli
