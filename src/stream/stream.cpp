// Stream: create / open / list / delete / describe (control path; may throw Error).
#include "shmstream/stream.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/aws_names.hpp"
#include "common/file_descriptor.hpp"
#include "common/file_names.hpp"
#include "common/system_error.hpp"
#include "segment/huge_pages.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/layout/frame.hpp"
#include "router/shard_map.hpp"
#include "stream/file_lock.hpp"
#include "stream/file_modes.hpp"
#include "stream/meta_file.hpp"
#include "stream/retention_defaults.hpp"
#include "log/shard_positions.hpp"
#include "stream/stream_state.hpp"
#include "stream/throughput_file.hpp"

namespace shmstream {
namespace {

using detail::create_with_mode;
using detail::throw_errno;

namespace files = detail::file_names;

void check_name(std::string_view name) {
  if (!is_valid_stream_name(name)) {
    throw Error(StatusCode::kInvalidArgument,
                "1 validation error detected: Value '" + std::string(name) +
                    "' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression "
                    "pattern: [a-zA-Z0-9_.-]+ and have length 1..128");
  }
}

void check_options(const StreamOptions& options) {
  if (options.shard_count < 1) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '0' at 'shardCount' failed to "
                                              "satisfy constraint: Member must have value greater than or equal to 1");
  }
  if (options.shard_count > kMaxShardsPerStream) {
    throw Error(StatusCode::kLimitExceeded, "This request would exceed the shard limit of " +
                                                std::to_string(kMaxShardsPerStream) + " shards per stream");
  }
  const uint64_t size = options.segment_size;
  if (size < kMinSegmentSize || size > kMaxSegmentSize || (size & (size - 1)) != 0) {
    throw Error(StatusCode::kInvalidArgument, "segment size " + std::to_string(size) +
                                                  " must be a power of two between 4 KiB and 1 GiB");
  }
  if (options.retention < std::chrono::seconds(1) || options.retention > std::chrono::hours(8760)) {
    throw Error(StatusCode::kInvalidArgument, "retention must be between 1 second and 8760 hours");
  }
  if (options.retention_bytes != 0 && options.retention_bytes < 2 * options.segment_size) {
    throw Error(StatusCode::kInvalidArgument, "retention bytes must be at least two segments");
  }
  if ((options.file_mode & ~0777u) != 0 || (options.file_mode & 0600u) != 0600u) {
    throw Error(StatusCode::kInvalidArgument, "file mode must be permission bits including owner read/write (0600)");
  }
}

void make_directory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno(errno, "cannot create " + path);
  if (::chmod(path.c_str(), mode) != 0) throw_errno(errno, "cannot set mode of " + path);
}

// The root and its staging directory are shared by every user of the host like /tmp: world-writable with the
// sticky bit, so users can create streams but only delete their own.
void ensure_shared_directory(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return;
  if (::mkdir(path.c_str(), 01777) == 0) {
    ::chmod(path.c_str(), 01777);  // mkdir applied the umask
  } else if (errno != EEXIST) {
    throw_errno(errno, "cannot create " + path);
  }
}

void ensure_root(const std::string& root) {
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) {
    std::filesystem::create_directories(std::filesystem::path(root).parent_path(), error);
    ensure_shared_directory(root);
  }
  ensure_shared_directory(files::staging_directory(root));
}

// Lock files exist from the stream's creation on, with its mode: everyone the mode admits can open them,
// and nobody has to create them later with their own umask.
void create_lock_file(const std::string& path, uint32_t file_mode) { (void)create_with_mode(path, file_mode); }

void write_meta_file(const std::string& path, const detail::MetaParameters& parameters) {
  const uint64_t size = detail::meta_file_size(parameters.shard_capacity);
  const detail::FileDescriptor file = create_with_mode(path, parameters.file_mode);
  const int fd = file.fd;
  if (const int error = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); error != 0) {
    throw_errno(error, "cannot allocate " + path);
  }
  detail::MappedRegion region;
  throw_if_error(detail::MappedRegion::map(fd, size, true, false, region), "cannot map " + path);
  detail::write_initial_meta(region.data(), parameters);
  auto& header = *reinterpret_cast<layout::StreamHeader*>(region.data());
  // release: openers that see the magic word see the complete header and shard table.
  header.magic_word.store(layout::stream_magic_word(), std::memory_order_release);
}

// Checksums are on by default where a root's memory can outlive the host's (a persistent filesystem: page
// write-back can tear a committed frame after a power loss), off on tmpfs and ramfs.
bool checksums_by_default(const std::string& root) {
  struct statfs info {};
  if (::statfs(root.c_str(), &info) != 0) return true;
  return info.f_type != TMPFS_MAGIC && info.f_type != RAMFS_MAGIC;
}

std::string unique_suffix() { return std::to_string(::getpid()) + "-" + std::to_string(now_ns()); }

}  // namespace

Stream::Stream(std::unique_ptr<detail::StreamState> state) : state_(std::move(state)) {}
Stream::~Stream() = default;

const std::string& Stream::name() const noexcept { return state_->name(); }
const std::string& Stream::directory() const noexcept { return state_->directory(); }

std::shared_ptr<Stream> Stream::create(std::string_view name, const StreamOptions& options, const std::string& root) {
  check_name(name);
  check_options(options);
  ensure_root(root);

  detail::MetaParameters parameters;
  parameters.name = std::string(name);
  parameters.shard_count = options.shard_count;
  parameters.shard_capacity = kShardTableCapacity;
  parameters.segment_size = options.segment_size;
  parameters.retention_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options.retention).count();
  parameters.retention_bytes =
      options.retention_bytes != 0 ? options.retention_bytes
                                   : detail::default_retention_bytes(root, options.segment_size, options.shard_count);
  parameters.file_mode = options.file_mode;
  parameters.frame_flags = options.checksums.value_or(checksums_by_default(root)) ? layout::kFlagChecksum : 0;
  parameters.stream_mode = static_cast<uint32_t>(options.stream_mode == StreamMode::kOnDemand
                                                     ? layout::StreamModeCode::kOnDemand
                                                     : layout::StreamModeCode::kProvisioned);
  parameters.creation_ns = now_ns();
  if (RAND_bytes(parameters.uuid, sizeof parameters.uuid) != 1) {
    throw Error(StatusCode::kInternalFailure, "OpenSSL could not produce random bytes for the stream uuid");
  }
  parameters.uuid[6] = static_cast<uint8_t>((parameters.uuid[6] & 0x0f) | 0x40);  // RFC 4122 version 4
  parameters.uuid[8] = static_cast<uint8_t>((parameters.uuid[8] & 0x3f) | 0x80);

  // Build the whole stream in a private directory, then rename it into place: nobody sees half a stream.
  const std::string final_directory = files::stream_directory(root, parameters.name);
  if (::access(final_directory.c_str(), F_OK) == 0) {
    throw Error(StatusCode::kResourceInUse,
                "Stream " + parameters.name + " under account " + detail::aws::kAccountId + " already exists.");
  }
  const std::string building = files::in(files::staging_directory(root), files::kCreatingPrefix) + parameters.name +
                               "-" + unique_suffix();
  const mode_t dir_mode = detail::stream_directory_mode(options.file_mode);
  try {
    make_directory(building, dir_mode);
    make_directory(files::in(building, files::kShardsDirectory), dir_mode);
    create_lock_file(files::in(building, files::kStreamLock), options.file_mode);
    create_lock_file(files::in(building, files::kWritersLock), options.file_mode);
    uint64_t uuid_low = 0;
    std::memcpy(&uuid_low, parameters.uuid, sizeof uuid_low);
    const uint64_t huge_page_bytes = detail::huge_page_bytes_for(building, options.segment_size);
    for (uint32_t i = 0; i < options.shard_count; ++i) {
      const std::string shard_directory = files::shard_directory(building, i);
      make_directory(shard_directory, dir_mode);
      const detail::SegmentIdentity identity{options.segment_size, i, uuid_low, options.file_mode, huge_page_bytes};
      throw_if_error(detail::create_segment_file(shard_directory, 0, identity), "cannot create the first segment of shard " + std::to_string(i));
    }
    write_meta_file(files::in(building, files::kStreamMeta), parameters);
    if (::renameat2(AT_FDCWD, building.c_str(), AT_FDCWD, final_directory.c_str(), RENAME_NOREPLACE) != 0) {
      if (errno == EEXIST || errno == ENOTEMPTY) {
        throw Error(StatusCode::kResourceInUse,
                    "Stream " + parameters.name + " under account " + detail::aws::kAccountId + " already exists.");
      }
      throw_errno(errno, "cannot publish stream directory " + final_directory);
    }
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(building, ignored);
    throw;
  }
  return open(name, root);
}

std::shared_ptr<Stream> Stream::open(std::string_view name, const std::string& root) {
  check_name(name);
  const std::string directory = files::stream_directory(root, name);
  const std::string meta_path = files::in(directory, files::kStreamMeta);
  const detail::FileDescriptor file(::open(meta_path.c_str(), O_RDWR | O_CLOEXEC));
  const int fd = file.fd;
  if (fd < 0) {
    if (errno == ENOENT) {
      throw Error(StatusCode::kResourceNotFound,
                  "Stream " + std::string(name) + " under account " + detail::aws::kAccountId + " not found.");
    }
    throw_errno(errno, "cannot open " + meta_path);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw_errno(errno, "cannot stat " + meta_path);
  const auto size = static_cast<uint64_t>(info.st_size);
  if (size < layout::kStreamHeaderSize || size > detail::meta_file_size(kShardTableCapacity)) {
    throw Error(StatusCode::kCorrupted, meta_path + ": size " + std::to_string(size) + " is not a stream.meta size");
  }
  detail::MappedRegion region;
  throw_if_error(detail::MappedRegion::map(fd, size, true, false, region), "cannot map " + meta_path);
  if (Status status = detail::validate_stream_meta(region.data(), region.size()); !status) {
    if (status.code() == StatusCode::kIncompatibleLayout) {
      // relaxed: the word was validated as present; we only print it.
      const uint64_t word = reinterpret_cast<const layout::StreamHeader*>(region.data())->magic_word.load(std::memory_order_relaxed);
      throw Error(status.code(), meta_path + " has layout version " + std::to_string((word >> 32) & 0xffff) + "." +
                                     std::to_string(word >> 48) + "; this library reads version " +
                                     std::to_string(layout::kStreamLayoutMajor) + ".x");
    }
    throw_if_error(status, meta_path);
  }
  const auto& header = *reinterpret_cast<const layout::StreamHeader*>(region.data());
  if (std::string_view(header.name) != name) {
    throw Error(StatusCode::kCorrupted, meta_path + " names another stream: " + header.name);
  }
  // acquire: a deleter's status store happens before it renames the directory away.
  if (header.status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::StreamStatus::kDeleting)) {
    throw Error(StatusCode::kResourceNotFound,
                "Stream " + std::string(name) + " under account " + detail::aws::kAccountId + " not found.");
  }
  return std::shared_ptr<Stream>(
      new Stream(std::make_unique<detail::StreamState>(root, std::string(name), std::move(region))));
}

std::vector<std::string> Stream::list(const std::string& root) {
  std::vector<std::string> streams;
  DIR* directory = ::opendir(root.c_str());
  if (directory == nullptr) {
    if (errno == ENOENT) return streams;
    throw_errno(errno, "cannot list " + root);
  }
  while (const dirent* entry = ::readdir(directory)) {
    const std::string name = files::stream_name_of_directory(entry->d_name);
    if (!is_valid_stream_name(name)) continue;  // the root and its parent, the staging directory, stray files
    if (::access(files::in(files::stream_directory(root, name), files::kStreamMeta).c_str(), F_OK) == 0) {
      streams.push_back(name);
    }
  }
  ::closedir(directory);
  std::sort(streams.begin(), streams.end());
  return streams;
}

namespace {

// Unlinks the regular files under `directory` (leaving the directories to remove_all), reporting bytes.
void remove_files_reporting(const std::string& directory, const Stream::RemovalProgress& progress) {
  std::vector<std::pair<std::filesystem::path, uint64_t>> files;
  uint64_t total = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(directory, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    std::error_code size_error;
    if (!it->is_regular_file(size_error)) continue;
    const uint64_t size = it->file_size(size_error);
    files.emplace_back(it->path(), size_error ? 0 : size);
    total += files.back().second;
  }
  uint64_t removed = 0;
  for (const auto& [path, size] : files) {
    ::unlink(path.c_str());
    removed += size;
    progress(removed, total);
  }
}

}  // namespace

void Stream::remove(std::string_view name, const std::string& root, const RemovalProgress& progress) {
  auto stream = open(name, root);
  detail::StreamState& state = *stream->state_;
  detail::FileLock lock(state.lock_path(), state.header().file_mode);
  // release: anyone who reads DELETING also sees the stream as going away (see open()).
  state.header().status.store(static_cast<uint32_t>(layout::StreamStatus::kDeleting), std::memory_order_release);
  ensure_root(root);  // a root made before the staging directory existed
  const std::string graveyard = files::in(files::staging_directory(root), files::kDeletedPrefix) +
                                std::string(name) + "-" + unique_suffix();
  if (::rename(state.directory().c_str(), graveyard.c_str()) != 0) {
    throw_errno(errno, "cannot remove " + state.directory());
  }
  // Mapped segments stay valid for processes that still hold them; the files go now, one by one when someone
  // watches (freeing the pages of a big stream takes seconds on tmpfs).
  std::error_code ignored;
  if (progress) remove_files_reporting(graveyard, progress);
  std::filesystem::remove_all(graveyard, ignored);
}

ShardInfo Stream::describe_shard(uint32_t index) const {
  if (index >= state_->shard_count()) {
    throw Error(StatusCode::kResourceNotFound,
                "Shard " + shard_id_text(index) + detail::aws::in_stream(name()) + " does not exist");
  }
  const layout::ShardEntry& entry = state_->shard(index);
  ShardInfo info;
  info.index = index;
  info.shard_id = shard_id_text(index);
  info.starting_hash_key = detail::shard_start(entry);
  info.ending_hash_key = detail::shard_end(entry);
  if (entry.parent_index != layout::kNoShard) info.parent_index = entry.parent_index;
  if (entry.adjacent_parent_index != layout::kNoShard) info.adjacent_parent_index = entry.adjacent_parent_index;
  info.starting_sequence_number = entry.starting_sequence_number;
  // acquire: pairs with the reshard's release store once the parent's last frame is settled.
  const uint64_t ending = entry.ending_sequence_number.load(std::memory_order_acquire);
  // A shard closed before its first record ends just below where it starts; the API never shows an end below the
  // start (a reader's "past the end" test keeps using the stored value).
  if (ending != layout::kNoSequence) info.ending_sequence_number = std::max(ending, info.starting_sequence_number);
  // relaxed loads below: a monitoring snapshot, each value consistent on its own.
  info.status = static_cast<layout::ShardStatus>(entry.status.load(std::memory_order_acquire));
  info.created_ns = entry.created_ns;
  info.closed_ns = entry.closed_ns.load(std::memory_order_relaxed);
  info.trim_horizon = entry.trim_horizon.load(std::memory_order_relaxed);
  uint64_t latest = info.trim_horizon;
  if (detail::latest_position(state_->log(index), latest).is_ok()) info.latest_position = latest;
  info.incoming_records = entry.incoming_records.load(std::memory_order_relaxed);
  info.incoming_bytes = entry.incoming_bytes.load(std::memory_order_relaxed);
  info.put_errors = entry.put_errors.load(std::memory_order_relaxed);
  info.unblocked_frames = entry.unblocked_frames.load(std::memory_order_relaxed);
  info.trimmed_segments = entry.trimmed_segments.load(std::memory_order_relaxed);
  info.aborted_puts = entry.aborted_puts.load(std::memory_order_relaxed);
  // The refusal counters exist once throttling was switched on (throughput.state); mapped at most once.
  const layout::ShardThroughput* lines = state_->mapped_throughput();
  if (lines == nullptr && ::access(files::in(directory(), detail::kThroughputFile).c_str(), F_OK) == 0) {
    Status ignored;  // a file that cannot be mapped leaves the counters at 0; throttled puts report why
    lines = state_->throughput(ignored);
  }
  if (lines != nullptr) {
    info.writes_throttled = lines[index].writes_refused.load(std::memory_order_relaxed);
    info.reads_throttled = lines[index].reads_refused.load(std::memory_order_relaxed);
  }
  return info;
}

StreamInfo Stream::describe() const {
  const layout::StreamHeader& header = state_->header();
  StreamInfo info;
  info.name = name();
  info.arn = detail::aws::stream_arn(name());
  static constexpr const char* kStatusNames[] = {"CREATING", "ACTIVE", "UPDATING", "DELETING"};
  info.status = kStatusNames[std::min<uint32_t>(header.status.load(std::memory_order_acquire), 3)];
  char uuid[40];
  const uint8_t* u = header.uuid;
  std::snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  info.uuid = uuid;
  info.creation_ns = header.creation_ns;
  info.retention_ns = header.retention_ns.load(std::memory_order_relaxed);
  info.retention_bytes = header.retention_bytes.load(std::memory_order_relaxed);
  info.segment_size = header.segment_size;
  info.unblock_timeout_ns = header.unblock_timeout_ns.load(std::memory_order_relaxed);
  info.checksums = (header.frame_flags & layout::kFlagChecksum) != 0;
  // relaxed: reported settings.
  info.stream_mode = header.stream_mode.load(std::memory_order_relaxed) ==
                             static_cast<uint32_t>(layout::StreamModeCode::kOnDemand)
                         ? StreamMode::kOnDemand
                         : StreamMode::kProvisioned;
  info.shard_level_metrics = header.shard_level_metrics.load(std::memory_order_relaxed);
  describe_encryption(info);
  const uint32_t count = state_->shard_count();
  for (uint32_t i = 0; i < count; ++i) {
    info.shards.push_back(describe_shard(i));
    if (info.shards.back().status == layout::ShardStatus::kOpen) ++info.open_shard_count;
  }
  return info;
}

std::vector<uint32_t> Stream::open_shards() const {
  std::vector<std::pair<HashKey, uint32_t>> open;
  const uint32_t count = state_->shard_count();
  for (uint32_t i = 0; i < count; ++i) {
    const auto& entry = state_->shard(i);
    // acquire: a shard seen OPEN has its hash range written.
    if (entry.status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::ShardStatus::kOpen)) {
      open.emplace_back(detail::shard_start(entry), i);
    }
  }
  std::sort(open.begin(), open.end());
  std::vector<uint32_t> indexes;
  for (const auto& [start, index] : open) indexes.push_back(index);
  return indexes;
}

}  // namespace shmstream
