// Paging as Kinesis pages: the most a page holds whatever Limit/MaxResults asks, and NextToken expiry.
// The commands follow every page themselves unless a page flag is given, like the aws CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shmstream::cli {

inline constexpr uint32_t kDescribeStreamPageShards = 100;  // "at most 100 results are returned"
inline constexpr uint32_t kListShardsPageShards = 1000;
inline constexpr uint32_t kListStreamsPageStreams = 100;

// Kinesis NextTokens expire after 300 s; SHMSTREAM_NEXT_TOKEN_TTL_SECONDS (fractions allowed) overrides that,
// mainly so tests need not wait.
std::chrono::nanoseconds next_token_time_to_live();
// Throws ServiceError("ExpiredNextTokenException") when a token issued at `issued_ns` is too old now.
void check_next_token_age(int64_t issued_ns);

// ListStreams NextToken: continues after `last_stream_name`.
std::string encode_list_streams_token(const std::string& last_stream_name);
// Throws Error(InvalidArgument) for a token this CLI did not produce, ExpiredNextTokenException for an old one.
std::string decode_list_streams_token(const std::string& token);

}  // namespace shmstream::cli
