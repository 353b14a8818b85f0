#include "shard_listing.hpp"

#include <algorithm>

#include "cli_errors.hpp"
#include "text_codecs.hpp"

namespace shmstream::cli {
namespace {
constexpr std::string_view kTokenPrefix = "shmstream-list-shards:1:";
}  // namespace

bool is_listed_shard(const ShardInfo& shard) {
  return shard.state == layout::ShardState::kOpen || shard.state == layout::ShardState::kClosed;
}

ShardListing select_shards(const StreamInfo& stream, const ShardListingRequest& request) {
  ShardListing listing;
  for (const ShardInfo& shard : stream.shards) {
    if (!is_listed_shard(shard)) continue;
    if (request.exclusive_start_shard && shard.index <= *request.exclusive_start_shard) continue;
    const bool accepted = std::all_of(request.filters.begin(), request.filters.end(),
                                      [&](const ShardPredicate& filter) { return filter(shard); });
    if (!accepted) continue;
    if (listing.shards.size() == request.max_results) {
      listing.has_more = true;
      break;
    }
    listing.shards.push_back(shard);
  }
  return listing;
}

std::string encode_list_shards_token(const std::string& stream_name, uint32_t last_shard_index) {
  return base64url_encode(std::string(kTokenPrefix) + std::to_string(last_shard_index) + ":" + stream_name);
}

ListShardsPosition decode_list_shards_token(const std::string& token) {
  const auto text = base64url_decode(token);
  const auto invalid = [&] { throw_invalid_argument("Invalid NextToken: " + token); };
  if (!text || text->rfind(kTokenPrefix, 0) != 0) invalid();
  const std::string rest = text->substr(kTokenPrefix.size());
  const size_t colon = rest.find(':');
  if (colon == std::string::npos) invalid();
  const auto index = parse_shard_id(rest.substr(0, colon));
  if (!index) invalid();
  ListShardsPosition position{rest.substr(colon + 1), *index};
  if (!is_valid_stream_name(position.stream_name)) invalid();
  return position;
}

}  // namespace shmstream::cli
