// Small pieces several commands share: range checks with AWS messages and shard-id parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli_errors.hpp"
#include "common/aws_names.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::cli {

inline void check_range(std::string_view member, long long value, long long minimum, long long maximum) {
  if (value < minimum || value > maximum) throw_out_of_range(member, value, minimum, maximum);
}

// "shardId-000000000001" (or a bare index) -> 1. Any other id the model accepts names no shard of the stream:
// ResourceNotFoundException, as Kinesis answers.
inline uint32_t shard_index_from_flag(const std::string& text, const std::string& stream_name) {
  const auto index = parse_shard_id(text);
  if (!index) {
    throw Error(StatusCode::kResourceNotFound,
                "Shard " + text + detail::aws::in_stream(stream_name) + " does not exist");
  }
  return *index;
}

// ExclusiveStartShardId: Kinesis lists the shards whose ids sort after it, whether or not it names a shard.
// The index of the last shard id that sorts at or before `text`; nullopt when every id sorts after it.
inline std::optional<uint32_t> exclusive_start_index(const std::string& text) {
  if (const auto index = parse_shard_id(text)) return index;
  // Shard ids are zero-padded, so their text order is their index order: binary search the first id > text.
  uint32_t low = 0, high = kShardTableCapacity;
  while (low < high) {
    const uint32_t middle = low + (high - low) / 2;
    if (shard_id_text(middle) <= text) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low == 0) return std::nullopt;
  return low - 1;
}

// The model's pattern (checked before) allows 39 digits; a hash key must also be below 2^128.
inline HashKey explicit_hash_key_from_text(const std::string& text) {
  const auto key = parse_hash_key(text);
  if (!key) {
    throw_invalid_argument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                           "Specified value was " + text);
  }
  return *key;
}

// Throws Error(code, detail) for a failed hot-path Status: the detail is already an AWS-style message.
inline void throw_unless_ok(Status status) {
  if (!status) throw Error(status.code(), status.detail());
}

}  // namespace shmstream::cli
