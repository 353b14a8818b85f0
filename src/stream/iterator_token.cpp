// The ShardIterator token codec (include/shmstream/iterator_token.hpp): bytes, checksum, base64url, age.
// Kept apart from the checks against an open stream (iterator_token_check.cpp) so the fuzz target links it
// alone.
#include "shmstream/iterator_token.hpp"

#include <time.h>

#include <bit>
#include <cstdlib>
#include <cstring>

#include "common/base64.hpp"
#include "common/environment_duration.hpp"
#include "common/xxh3.hpp"
#include "shmstream/status.hpp"
#include "shmstream/stream.hpp"

namespace shmstream {
namespace {

constexpr uint8_t kTokenVersion = 1;
constexpr size_t kFixedBytes = 38;
constexpr size_t kChecksumBytes = 8;
constexpr uint64_t kChecksumSeed = 0x73686d4954455231;  // "shmITER1": a token of another format never matches

template <typename T>
void append_little_endian(std::string& out, T value) {
  static_assert(std::endian::native == std::endian::little, "tokens are written in native little-endian order");
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
T read_little_endian(std::string_view bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

uint64_t checksum(std::string_view bytes) { return detail::xxh3_64(bytes.data(), bytes.size(), kChecksumSeed); }

// "Mon Nov 21 10:00:00 UTC 2026", the form of AWS's ExpiredIterator message.
std::string java_date_text(int64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1'000'000'000);
  tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S UTC %Y", &utc);
  return text;
}

}  // namespace

std::string encode_iterator_token(const IteratorToken& token) {
  std::string bytes;
  bytes.reserve(kFixedBytes + token.stream_name.size() + kChecksumBytes);
  bytes += static_cast<char>(kTokenVersion);
  bytes += static_cast<char>(token.stream_name.size());
  append_little_endian(bytes, token.shard_index);
  append_little_endian(bytes, token.position);
  append_little_endian(bytes, token.created_ns);
  bytes.append(reinterpret_cast<const char*>(token.stream_uuid.data()), token.stream_uuid.size());
  bytes += token.stream_name;
  append_little_endian(bytes, checksum(bytes));
  return detail::base64url_encode(bytes);
}

std::optional<IteratorToken> parse_iterator_token(std::string_view text) {
  const auto decoded = detail::base64url_decode(text);
  if (!decoded || decoded->size() < kFixedBytes + 1 + kChecksumBytes) return std::nullopt;
  const std::string_view bytes = *decoded;
  const size_t name_length = static_cast<uint8_t>(bytes[1]);
  if (static_cast<uint8_t>(bytes[0]) != kTokenVersion || bytes.size() != kFixedBytes + name_length + kChecksumBytes) {
    return std::nullopt;
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kChecksumBytes);
  if (read_little_endian<uint64_t>(bytes, covered.size()) != checksum(covered)) return std::nullopt;

  IteratorToken token;
  token.shard_index = read_little_endian<uint32_t>(bytes, 2);
  token.position = read_little_endian<uint64_t>(bytes, 6);
  token.created_ns = read_little_endian<int64_t>(bytes, 14);
  std::memcpy(token.stream_uuid.data(), bytes.data() + 22, token.stream_uuid.size());
  token.stream_name = std::string(bytes.substr(kFixedBytes, name_length));
  if (!is_valid_stream_name(token.stream_name)) return std::nullopt;
  return token;
}

std::chrono::nanoseconds iterator_time_to_live() {
  return detail::duration_from_environment("SHMSTREAM_ITERATOR_TTL_SECONDS", kIteratorTimeToLive);
}

IteratorToken decode_iterator_token(std::string_view text, int64_t now_ns, std::chrono::nanoseconds time_to_live) {
  std::optional<IteratorToken> token = parse_iterator_token(text);
  if (!token) {
    throw Error(StatusCode::kInvalidArgument,
                "Invalid ShardIterator: " + std::string(text.substr(0, 64)) + (text.size() > 64 ? "..." : ""));
  }
  // A token from the future (another clock, a hand-made one) is not young: it is judged by its distance.
  const int64_t age_ns = now_ns - token->created_ns;
  if (age_ns <= time_to_live.count() && age_ns >= -time_to_live.count()) return std::move(*token);
  throw Error(StatusCode::kExpiredIterator, "Iterator expired. The iterator was created at time " +
                                                java_date_text(token->created_ns) + " while right now it is " +
                                                java_date_text(now_ns) +
                                                " which is further in the future than the tolerated delay of " +
                                                std::to_string(time_to_live.count() / 1'000'000) + " milliseconds.");
}

}  // namespace shmstream
