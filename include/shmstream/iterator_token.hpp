// ShardIterator tokens: the opaque strings GetShardIterator hands out and GetRecords takes. Kinesis keeps
// the cursor on its side; here nothing runs between calls, so the whole cursor lives in the token, and a
// token made by one program (the CLI, Python, C++) works in any other on the host. docs/FORMAT.md
// "ShardIterator tokens" has the byte layout:
//
//   byte 0       version (1)
//   byte 1       stream name length n (1..128)
//   bytes 2..5   shard index, u32 little-endian
//   bytes 6..13  position (= sequence number of the next record to read), u64 little-endian
//   bytes 14..21 creation time, ns since the Unix epoch, i64 little-endian
//   bytes 22..37 stream uuid: a token outlives neither its stream nor a re-creation under the same name
//   bytes 38..   stream name (n bytes)
//   last 8 bytes XXH3-64 (seeded) of everything before it
//
// encoded as unpadded base64url. The checksum catches truncated or mistyped tokens; it is not a signature
// (anyone who can read the stream's files can read its records anyway).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shmstream {

class Stream;

using StreamUuid = std::array<uint8_t, 16>;

struct IteratorToken {
  std::string stream_name;
  StreamUuid stream_uuid{};
  uint32_t shard_index = 0;
  uint64_t position = 0;
  int64_t created_ns = 0;
};

// Kinesis iterators expire 300 seconds after they were issued.
inline constexpr std::chrono::seconds kIteratorTimeToLive{300};

std::string encode_iterator_token(const IteratorToken& token);
// nullopt for anything that is not a well-formed token with the right checksum and a valid stream name.
std::optional<IteratorToken> parse_iterator_token(std::string_view text);

// kIteratorTimeToLive, or SHMSTREAM_ITERATOR_TTL_SECONDS (fractions allowed) so tests need not wait.
std::chrono::nanoseconds iterator_time_to_live();

// parse_iterator_token, then the age check: throws Error(InvalidArgument, "Invalid ShardIterator: ...") for
// a malformed token, Error(ExpiredIterator) with AWS's message when it is older than `time_to_live` at `now_ns`.
IteratorToken decode_iterator_token(std::string_view text, int64_t now_ns,
                                    std::chrono::nanoseconds time_to_live = iterator_time_to_live());

// The token of `position` (a record's sequence number or a batch's next_position) in shard `shard_index`
// of `stream`, issued at `now_ns`.
std::string issue_iterator_token(const Stream& stream, uint32_t shard_index, uint64_t position, int64_t now_ns);

// Checks that `token` belongs to `stream` as it is now: the same name and the same incarnation (throws
// Error(InvalidArgument) naming a re-creation), and a shard still listed (Error(ResourceNotFound) once
// expired or never used). The position itself is checked by ShardReader::seek.
void verify_iterator_token(const Stream& stream, const IteratorToken& token);

}  // namespace shmstream
