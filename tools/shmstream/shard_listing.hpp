// Which shards DescribeStream and ListShards show, and how they page. Kept apart from the commands so new
// selection rules (ListShards --shard-filter) can be added without touching output or flag handling.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shmstream/stream.hpp"

namespace shmstream::cli {

// A predicate over one shard; every predicate of a request must accept a shard for it to be listed.
using ShardPredicate = std::function<bool(const ShardInfo&)>;

struct ShardListingRequest {
  std::optional<uint32_t> exclusive_start_shard;  // list shards with a greater index
  uint32_t max_results = 10000;
  // EXTENSION POINT for ListShards --shard-filter (Type AFTER_SHARD_ID | AT_TRIM_HORIZON | FROM_TRIM_HORIZON |
  // AT_LATEST | AT_TIMESTAMP | FROM_TIMESTAMP, ShardId, Timestamp): parse the filter in the list-shards
  // command and push the matching predicate here; paging and output need no change. ShardInfo carries
  // state, created_ns, closed_ns and trim_horizon, which is what those filter types need.
  std::vector<ShardPredicate> filters;
};

struct ShardListing {
  std::vector<ShardInfo> shards;
  bool has_more = false;  // more shards pass the filters after the last one listed
};

// OPEN and CLOSED shards are visible through the API; EXPIRED ones (past retention) are not, as in Kinesis.
bool is_listed_shard(const ShardInfo& shard);

ShardListing select_shards(const StreamInfo& stream, const ShardListingRequest& request);

// ListShards NextToken: continues a listing of `stream_name` after `last_shard_index`.
std::string encode_list_shards_token(const std::string& stream_name, uint32_t last_shard_index);
struct ListShardsPosition {
  std::string stream_name;
  uint32_t last_shard_index = 0;
};
// Throws Error(InvalidArgument) on a token this CLI did not produce.
ListShardsPosition decode_list_shards_token(const std::string& token);

}  // namespace shmstream::cli
