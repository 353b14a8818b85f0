// Small pieces several commands share: range checks with AWS messages and shard-id parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cli_errors.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::cli {

inline void check_range(std::string_view member, long long value, long long minimum, long long maximum) {
  if (value < minimum || value > maximum) throw_out_of_range(member, value, minimum, maximum);
}

// "shardId-000000000001" (or a bare index) -> 1; InvalidArgumentException otherwise.
inline uint32_t shard_index_from_flag(std::string_view member, const std::string& text) {
  const auto index = parse_shard_id(text);
  if (!index) {
    throw_invalid_argument("1 validation error detected: Value '" + text + "' at '" + std::string(member) +
                           "' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                           "shardId-[0-9]{12} (or a shard index below " +
                           std::to_string(kShardTableCapacity) + ")");
  }
  return *index;
}

// Throws Error(code, detail) for a failed hot-path Status: the detail is already an AWS-style message.
inline void throw_unless_ok(Status status) {
  if (!status) throw Error(status.code(), status.detail());
}

}  // namespace shmstream::cli
