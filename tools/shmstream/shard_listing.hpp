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
  // Selection rules beyond the plain listing. ListShards --shard-filter pushes one here (membership in
  // Stream::list_shards(filter), the library's implementation of the filter types); paging and output need
  // no change.
  std::vector<ShardPredicate> filters;
};

struct ShardListing {
  std::vector<ShardInfo> shards;
  bool has_more = false;  // more shards pass the filters after the last one listed
};

// OPEN and CLOSED shards are visible through the API; EXPIRED ones (past retention) are not, as in Kinesis.
bool is_listed_shard(const ShardInfo& shard);

ShardListing select_shards(const StreamInfo& stream, const ShardListingRequest& request);

// ListShards --shard-filter, in the AWS CLI shorthand ("Type=AT_LATEST", "Type=AFTER_SHARD_ID,ShardId=shardId-
// 000000000003", "Type=AT_TIMESTAMP,Timestamp=2026-11-21T10:00:00Z") or as JSON ('{"Type": "AT_LATEST"}',
// Timestamp as epoch seconds or ISO 8601). Throws Error(InvalidArgument) on anything else, or when ShardId /
// Timestamp is missing for the types that need it or given for a type that does not use it.
ShardFilter parse_shard_filter(const std::string& text);
// A predicate accepting exactly the shards `stream.list_shards(filter)` lists now.
ShardPredicate shard_filter_predicate(const Stream& stream, const ShardFilter& filter);

// ListShards NextToken: continues a listing of `stream_name` after `last_shard_index`, with the same filter.
std::string encode_list_shards_token(const std::string& stream_name, uint32_t last_shard_index,
                                     const ShardFilter& filter = {});
struct ListShardsPosition {
  std::string stream_name;
  uint32_t last_shard_index = 0;
  ShardFilter filter;  // kAll unless the listing had --shard-filter
};
// Throws Error(InvalidArgument) on a token this CLI did not produce.
ListShardsPosition decode_list_shards_token(const std::string& token);

}  // namespace shmstream::cli
