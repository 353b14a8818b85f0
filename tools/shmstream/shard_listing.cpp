#include "shard_listing.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "command_helpers.hpp"
#include "text_codecs.hpp"
#include "paging.hpp"
#include "shmstream/clock.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {
// "shmstream-list-shards:3:<issued ns>:<last index>:<filter type>:<filter shard index>:<filter timestamp ns>:<name>"
constexpr std::string_view kTokenPrefix = "shmstream-list-shards:3:";

struct FilterTypeName {
  std::string_view name;
  ShardFilterType type;
};
constexpr FilterTypeName kFilterTypes[] = {
    {"AFTER_SHARD_ID", ShardFilterType::kAfterShardId},       {"AT_TRIM_HORIZON", ShardFilterType::kAtTrimHorizon},
    {"FROM_TRIM_HORIZON", ShardFilterType::kFromTrimHorizon}, {"AT_LATEST", ShardFilterType::kAtLatest},
    {"AT_TIMESTAMP", ShardFilterType::kAtTimestamp},          {"FROM_TIMESTAMP", ShardFilterType::kFromTimestamp},
};

[[noreturn]] void bad_filter(const std::string& text, const std::string& why) {
  throw_invalid_argument("Error parsing parameter '--shard-filter' (" + text + "): " + why);
}

// The members of a ShardFilter as text, from either the shorthand or the JSON form.
std::map<std::string, std::string> shard_filter_members(const std::string& text) {
  std::map<std::string, std::string> members;
  const auto add = [&](const std::string& key, const std::string& value) {
    if (key != "Type" && key != "ShardId" && key != "Timestamp") {
      bad_filter(text, "Unknown parameter \"" + key + "\", must be one of: Type, ShardId, Timestamp");
    }
    if (!members.emplace(key, value).second) bad_filter(text, key + " is given twice");
  };
  const size_t first = text.find_first_not_of(" \t\n");
  if (first != std::string::npos && text[first] == '{') {
    nlohmann::json document;
    try {
      document = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
      bad_filter(text, std::string("Invalid JSON: ") + error.what());
    }
    if (!document.is_object()) bad_filter(text, "expected a JSON object");
    for (const auto& [key, value] : document.items()) {
      if (value.is_string()) {
        add(key, value.get<std::string>());
      } else if (key == "Timestamp" && value.is_number()) {
        add(key, value.dump());  // epoch seconds, as the AWS CLI accepts them
      } else {
        bad_filter(text, "Invalid type for parameter " + key + ", value: " + value.dump() + ", valid types: string");
      }
    }
    return members;
  }
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const size_t equals = item.find('=');
    if (equals == std::string::npos) bad_filter(text, "expected Key=Value pairs separated by commas");
    add(item.substr(0, equals), item.substr(equals + 1));
    start = comma + 1;
  }
  return members;
}

bool parse_number(std::string_view text, auto& value) {
  const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && stop == text.data() + text.size();
}

}  // namespace

bool is_listed_shard(const ShardInfo& shard) {
  return shard.status == layout::ShardStatus::kOpen || shard.status == layout::ShardStatus::kClosed;
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

ShardFilter parse_shard_filter(const std::string& text) {
  const std::map<std::string, std::string> members = shard_filter_members(text);
  const auto type_member = members.find("Type");
  if (type_member == members.end()) bad_filter(text, "Missing required parameter \"Type\"");
  const auto type = std::find_if(std::begin(kFilterTypes), std::end(kFilterTypes),
                                 [&](const FilterTypeName& known) { return known.name == type_member->second; });
  if (type == std::end(kFilterTypes)) {
    throw_invalid_argument("1 validation error detected: Value '" + type_member->second +
                           "' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: "
                           "[AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, "
                           "FROM_TIMESTAMP]");
  }
  ShardFilter filter;
  filter.type = type->type;
  const std::string type_name(type->name);

  const bool wants_shard_id = filter.type == ShardFilterType::kAfterShardId;
  const auto shard_id = members.find("ShardId");
  if (wants_shard_id && shard_id == members.end()) bad_filter(text, "ShardId is required for Type " + type_name);
  if (!wants_shard_id && shard_id != members.end()) bad_filter(text, "ShardId can only be used with AFTER_SHARD_ID");
  if (wants_shard_id) {
    const auto after = exclusive_start_index(shard_id->second);
    if (!after) return ShardFilter{};  // every shard id sorts after it: the filter keeps every shard
    filter.shard_index = *after;
  }

  const bool wants_timestamp =
      filter.type == ShardFilterType::kAtTimestamp || filter.type == ShardFilterType::kFromTimestamp;
  const auto timestamp = members.find("Timestamp");
  if (wants_timestamp && timestamp == members.end()) bad_filter(text, "Timestamp is required for Type " + type_name);
  if (!wants_timestamp && timestamp != members.end()) {
    bad_filter(text, "Timestamp can only be used with AT_TIMESTAMP or FROM_TIMESTAMP");
  }
  if (wants_timestamp) filter.timestamp_ns = parse_timestamp("--shard-filter Timestamp", timestamp->second);
  return filter;
}

ShardPredicate shard_filter_predicate(const Stream& stream, const ShardFilter& filter) {
  std::set<uint32_t> listed;
  for (const ShardInfo& shard : stream.list_shards(filter)) listed.insert(shard.index);
  return [listed = std::move(listed)](const ShardInfo& shard) { return listed.count(shard.index) > 0; };
}

std::string encode_list_shards_token(const std::string& stream_name, uint32_t last_shard_index,
                                     const ShardFilter& filter) {
  return base64url_encode(std::string(kTokenPrefix) + std::to_string(now_ns()) + ":" +
                          std::to_string(last_shard_index) + ":" + std::to_string(static_cast<unsigned>(filter.type)) +
                          ":" + std::to_string(filter.shard_index) + ":" + std::to_string(filter.timestamp_ns) + ":" +
                          stream_name);
}

ListShardsPosition decode_list_shards_token(const std::string& token) {
  const auto text = base64url_decode(token);
  const auto invalid = [&] { throw_invalid_argument("Invalid NextToken: " + token); };
  if (!text || text->rfind(kTokenPrefix, 0) != 0) invalid();
  std::string rest = text->substr(kTokenPrefix.size());
  // The next field up to ':', removed from `rest`.
  const auto field = [&] {
    const size_t colon = rest.find(':');
    if (colon == std::string::npos) invalid();
    std::string value = rest.substr(0, colon);
    rest.erase(0, colon + 1);
    return value;
  };
  int64_t issued_ns = 0;
  if (!parse_number(field(), issued_ns)) invalid();
  const auto index = parse_shard_id(field());
  if (!index) invalid();
  ListShardsPosition position;
  position.last_shard_index = *index;
  unsigned type = 0;
  if (!parse_number(field(), type) || type > static_cast<unsigned>(ShardFilterType::kFromTimestamp) ||
      !parse_number(field(), position.filter.shard_index) || !parse_number(field(), position.filter.timestamp_ns)) {
    invalid();
  }
  position.filter.type = static_cast<ShardFilterType>(type);
  position.stream_name = rest;
  if (!is_valid_stream_name(position.stream_name)) invalid();
  check_next_token_age(issued_ns);
  return position;
}

}  // namespace shmstream::cli
