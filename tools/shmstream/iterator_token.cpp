#include "iterator_token.hpp"

#include <time.h>
#include <xxhash.h>

#include <bit>
#include <cstdlib>
#include <cstring>

#include "cli_errors.hpp"
#include "shmstream/status.hpp"
#include "shmstream/stream.hpp"
#include "text_codecs.hpp"

namespace shmstream::cli {
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

uint64_t checksum(std::string_view bytes) { return XXH3_64bits_withSeed(bytes.data(), bytes.size(), kChecksumSeed); }

[[noreturn]] void invalid_token(std::string_view text) {
  throw_invalid_argument("Invalid ShardIterator: " + std::string(text.substr(0, 64)) + (text.size() > 64 ? "..." : ""));
}

// "Mon Nov 21 10:00:00 UTC 2026", the form of AWS's ExpiredIterator message.
std::string java_date_text(int64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1'000'000'000);
  tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S UTC %Y", &utc);
  return text;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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
  return base64url_encode(bytes);
}

IteratorToken decode_iterator_token(std::string_view text) {
  const auto decoded = base64url_decode(text);
  if (!decoded || decoded->size() < kFixedBytes + 1 + kChecksumBytes) invalid_token(text);
  const std::string_view bytes = *decoded;
  const size_t name_length = static_cast<uint8_t>(bytes[1]);
  if (static_cast<uint8_t>(bytes[0]) != kTokenVersion || bytes.size() != kFixedBytes + name_length + kChecksumBytes) {
    invalid_token(text);
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kChecksumBytes);
  if (read_little_endian<uint64_t>(bytes, covered.size()) != checksum(covered)) invalid_token(text);

  IteratorToken token;
  token.shard_index = read_little_endian<uint32_t>(bytes, 2);
  token.position = read_little_endian<uint64_t>(bytes, 6);
  token.created_ns = read_little_endian<int64_t>(bytes, 14);
  std::memcpy(token.stream_uuid.data(), bytes.data() + 22, token.stream_uuid.size());
  token.stream_name = std::string(bytes.substr(kFixedBytes, name_length));
  if (!is_valid_stream_name(token.stream_name)) invalid_token(text);
  return token;
}

std::chrono::nanoseconds iterator_time_to_live() {
  constexpr std::chrono::nanoseconds kKinesisTimeToLive = std::chrono::minutes(5);
  const char* override_text = std::getenv("SHMSTREAM_ITERATOR_TTL_SECONDS");
  if (override_text == nullptr || *override_text == '\0') return kKinesisTimeToLive;
  char* end = nullptr;
  const double seconds = std::strtod(override_text, &end);
  if (end == override_text || *end != '\0' || !(seconds >= 0) || seconds > 1e9) return kKinesisTimeToLive;
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
}

void check_iterator_age(const IteratorToken& token, int64_t now_ns, std::chrono::nanoseconds time_to_live) {
  if (now_ns - token.created_ns <= time_to_live.count()) return;
  throw Error(StatusCode::kExpiredIterator, "Iterator expired. The iterator was created at time " +
                                                java_date_text(token.created_ns) + " while right now it is " +
                                                java_date_text(now_ns) +
                                                " which is further in the future than the tolerated delay of " +
                                                std::to_string(time_to_live.count() / 1'000'000) + " milliseconds.");
}

StreamUuid parse_stream_uuid(std::string_view text) {
  StreamUuid uuid{};
  size_t byte = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '-') {
      ++i;
      continue;
    }
    const int high = hex_digit(text[i]);
    const int low = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
    if (high < 0 || low < 0 || byte >= uuid.size()) {
      throw Error(StatusCode::kCorrupted, "stream uuid '" + std::string(text) + "' is not a uuid");
    }
    uuid[byte++] = static_cast<uint8_t>(high << 4 | low);
    i += 2;
  }
  if (byte != uuid.size()) throw Error(StatusCode::kCorrupted, "stream uuid '" + std::string(text) + "' is short");
  return uuid;
}

}  // namespace shmstream::cli
