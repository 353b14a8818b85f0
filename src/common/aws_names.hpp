// The AWS text shmstream shows where Kinesis shows an account, a region or an ARN (docs/DECISIONS.md).
#pragma once

#include <string>
#include <string_view>

namespace shmstream::detail::aws {

inline constexpr const char* kAccountId = "000000000000";
inline constexpr const char* kRegion = "local";

// arn:aws:kinesis:<region>:<account>:stream/<name>
inline std::string stream_arn(std::string_view stream_name) {
  return std::string("arn:aws:kinesis:") + kRegion + ":" + kAccountId + ":stream/" + std::string(stream_name);
}

// " in stream <name> under account <account>", the tail of Kinesis's ResourceNotFound messages.
inline std::string in_stream(std::string_view stream_name) {
  return " in stream " + std::string(stream_name) + " under account " + kAccountId;
}

// Kinesis's ProvisionedThroughputExceededException message for a shard.
inline std::string rate_exceeded(std::string_view stream_name, std::string_view shard_id) {
  return "Rate exceeded for shard " + std::string(shard_id) + " in stream " + std::string(stream_name) +
         " under account " + kAccountId + ".";
}

}  // namespace shmstream::detail::aws
