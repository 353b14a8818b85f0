// ShardIterator tokens. The Kinesis API hands out opaque strings that stay valid for 5 minutes; the CLI is
// stateless between invocations, so the whole cursor lives in the token:
//
//   byte 0      version (1)
//   byte 1      stream name length n (1..128)
//   bytes 2..5  shard index, u32 little-endian
//   bytes 6..13 position (= sequence number of the next record to read), u64 little-endian
//   bytes 14..21 creation time, ns since the Unix epoch, i64 little-endian
//   bytes 22..37 stream uuid: a token outlives neither its stream nor a re-creation under the same name
//   bytes 38..   stream name (n bytes)
//   last 8 bytes XXH3-64 of everything before it
//
// encoded as unpadded base64url. The checksum catches truncated or mistyped tokens; it is not a signature
// (anyone who can read the stream's files can read its records anyway).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace shmstream::cli {

using StreamUuid = std::array<uint8_t, 16>;

struct IteratorToken {
  std::string stream_name;
  StreamUuid stream_uuid{};
  uint32_t shard_index = 0;
  uint64_t position = 0;
  int64_t created_ns = 0;
};

std::string encode_iterator_token(const IteratorToken& token);
// Throws Error(InvalidArgument) for anything that is not a token this CLI produced.
IteratorToken decode_iterator_token(std::string_view text);

// Kinesis iterators expire after 5 minutes; SHMSTREAM_ITERATOR_TTL_SECONDS (fractions allowed) overrides
// that, mainly so tests need not wait.
std::chrono::nanoseconds iterator_time_to_live();
// Throws Error(ExpiredIterator) with the AWS message when `token` is older than `time_to_live` at `now_ns`.
void check_iterator_age(const IteratorToken& token, int64_t now_ns, std::chrono::nanoseconds time_to_live);

// "8-4-4-4-12" hex text from StreamInfo::uuid -> bytes. Throws Error(Corrupted) on malformed text.
StreamUuid parse_stream_uuid(std::string_view text);

}  // namespace shmstream::cli
