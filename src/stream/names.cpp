#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "shmstream/stream.hpp"

namespace shmstream {

std::string default_root() {
  const char* root = std::getenv("SHMSTREAM_ROOT");
  return (root != nullptr && *root != '\0') ? std::string(root) : std::string("/dev/shm/shmstream");
}

std::string shard_id_text(uint32_t index) {
  char text[32];
  std::snprintf(text, sizeof text, "shardId-%012" PRIu32, index);
  return text;
}

std::optional<uint32_t> parse_shard_id(std::string_view text) noexcept {
  constexpr std::string_view kPrefix = "shardId-";
  if (text.substr(0, kPrefix.size()) == kPrefix) text.remove_prefix(kPrefix.size());
  const auto value = parse_sequence_number(text);
  if (!value || *value >= kShardTableCapacity) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

bool is_valid_stream_name(std::string_view name) noexcept {
  // The Kinesis pattern [a-zA-Z0-9_.-]+ and 1..128 characters: "." and ".." are names too (docs/FORMAT.md, Files).
  if (name.empty() || name.size() > layout::kMaxStreamNameLength) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace shmstream
