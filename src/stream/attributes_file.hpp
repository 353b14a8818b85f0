// <stream>/attributes.json: the stream's tags and registered consumers (docs/FORMAT.md "Attributes").
// Only the control path reads and writes it; a change replaces the whole file (written beside it, then
// renamed over it) under the stream's flock, so a reader without the lock sees the old file or the new one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace shmstream::detail {

inline constexpr const char* kAttributesFile = "attributes.json";
inline constexpr int kAttributesVersion = 1;

struct StoredConsumer {
  std::string name;
  int64_t creation_ns = 0;
};

struct StreamAttributes {
  std::map<std::string, std::string> tags;  // key -> value, sorted by key as ListTagsForStream pages them
  std::vector<StoredConsumer> consumers;    // in registration order
};

// Throws Error(kCorrupted) naming `origin` when the text is not a valid attributes document: not JSON, a
// version this library does not know, a tag or consumer name AWS would refuse, more than the limits.
StreamAttributes parse_attributes(std::string_view text, const std::string& origin);
std::string serialize_attributes(const StreamAttributes& attributes);

// The stream's attributes; none when the file does not exist (a stream that never had any).
StreamAttributes read_attributes(const std::string& stream_directory);
// Replaces the file; the caller holds the stream's flock. Files get `file_mode`.
void write_attributes(const std::string& stream_directory, const StreamAttributes& attributes, uint32_t file_mode);

// ConsumerName as the service model: [a-zA-Z0-9_.-]{1,128}.
bool is_valid_consumer_name(std::string_view name) noexcept;

// Tag text as AWS accepts it: valid UTF-8 of Unicode letters, digits, white space and _ . / = + - % @,
// `min`..`max` characters. Returns what is wrong, or an empty string.
std::string tag_text_problem(std::string_view text, uint32_t min_characters, uint32_t max_characters);

}  // namespace shmstream::detail
