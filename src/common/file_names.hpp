// The names of everything shmstream makes under its root, in one place (docs/FORMAT.md, "Files").
//
//   <root>/<stream>/stream.meta                  stream header + shard table
//   <root>/<stream>/stream.lock                  flock of the control path (reshard, retention, delete)
//   <root>/<stream>/writers.lock                 flock of the writers (shared producers / one exclusive)
//   <root>/<stream>/shards/<index>/<base>.seg    segments (base position, 20 digits)
//   <root>/<stream>/shards/<index>/.spare        the retired segment the next one reuses
//   <root>/<stream>/shards/<index>/.tmp-*        a segment being made (unlinked if its maker died)
//   <root>/+staging/creating-<stream>-*          a stream being created (renamed to <stream> when done)
//   <root>/+staging/deleted-<stream>-*           a stream being deleted (renamed away first)
//   <root>/%2E, <root>/%2E%2E                   the streams named "." and ".."
// '+' and '%' are outside the stream-name alphabet: no stream name can collide with the staging directory, and
// any directory name a stream may have (".hidden", ".deleted-x") names a stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shmstream::detail::file_names {

inline constexpr const char* kStreamMeta = "stream.meta";
inline constexpr const char* kStreamLock = "stream.lock";
inline constexpr const char* kWritersLock = "writers.lock";
inline constexpr const char* kShardsDirectory = "shards";
inline constexpr const char* kSpareSegment = ".spare";
inline constexpr std::string_view kTemporaryPrefix = ".tmp-";
inline constexpr const char* kStagingDirectory = "+staging";
inline constexpr std::string_view kCreatingPrefix = "creating-";
inline constexpr std::string_view kDeletedPrefix = "deleted-";

inline std::string in(const std::string& directory, std::string_view name) {
  std::string path = directory;
  path += '/';
  path += name;
  return path;
}

inline std::string shard_directory(const std::string& stream_directory, uint32_t shard_index) {
  return stream_directory + "/" + kShardsDirectory + "/" + std::to_string(shard_index);
}

inline std::string staging_directory(const std::string& root) { return in(root, kStagingDirectory); }

// The stream names "." and ".." are valid in Kinesis but name other directories: they live in "%2E" and "%2E%2E"
// ('%' is outside the stream-name alphabet, so no other name maps there).
inline constexpr std::string_view kDotDirectory = "%2E";
inline constexpr std::string_view kDotDotDirectory = "%2E%2E";

inline std::string stream_directory_name(std::string_view stream_name) {
  if (stream_name == ".") return std::string(kDotDirectory);
  if (stream_name == "..") return std::string(kDotDotDirectory);
  return std::string(stream_name);
}

// The stream name a directory entry of the root stands for (before checking it is a valid name).
inline std::string stream_name_of_directory(std::string_view entry) {
  if (entry == kDotDirectory) return ".";
  if (entry == kDotDotDirectory) return "..";
  if (entry == "." || entry == "..") return "";  // the root itself and its parent
  return std::string(entry);
}

inline std::string stream_directory(const std::string& root, std::string_view stream_name) {
  return in(root, stream_directory_name(stream_name));
}

inline bool has_prefix(std::string_view name, std::string_view prefix) noexcept {
  return name.substr(0, prefix.size()) == prefix;
}

}  // namespace shmstream::detail::file_names
