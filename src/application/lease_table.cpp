#include "application/lease_table.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/file_names.hpp"
#include "common/system_error.hpp"
#include "common/xxh3.hpp"
#include "shmstream/limits.hpp"
#include "shmstream/status.hpp"
#include "stream/file_modes.hpp"

namespace shmstream::detail {
namespace {

using layout::LeaseRow;
using layout::LeaseTableHeader;

constexpr size_t kHeaderChecksummed = offsetof(LeaseTableHeader, checksum);
constexpr size_t kRowChecksummed = offsetof(LeaseRow, checksum);

class ScopedFlock {
 public:
  ScopedFlock(int fd, int operation, const std::string& path) : fd_(fd) {
    while (::flock(fd_, operation) != 0) {
      if (errno != EINTR) throw_errno(errno, "cannot lock " + path);
    }
  }
  ~ScopedFlock() { ::flock(fd_, LOCK_UN); }
  ScopedFlock(const ScopedFlock&) = delete;
  ScopedFlock& operator=(const ScopedFlock&) = delete;

 private:
  int fd_;
};

bool all_zero(const uint8_t* data, size_t size) noexcept {
  return std::all_of(data, data + size, [](uint8_t byte) { return byte == 0; });
}

bool row_problem(const LeaseRow& row, uint32_t index, std::string& error) {
  if (row.checksum != xxh3_64(&row, kRowChecksummed)) {
    error = "row " + std::to_string(index) + " fails its checksum";
  } else if (row.shard_index != index) {
    error = "row " + std::to_string(index) + " names shard " + std::to_string(row.shard_index);
  } else if ((row.flags & ~layout::kLeaseRowTracked) != 0) {
    error = "row " + std::to_string(index) + " has unknown flags";
  } else if (row.checkpoint_kind == 0 && (row.flags & layout::kLeaseRowTracked) != 0) {
    error = "row " + std::to_string(index) + " has no checkpoint";
  } else if (row.checkpoint_kind > layout::kMaxCheckpointKind ||
             row.pending_checkpoint_kind > layout::kMaxCheckpointKind) {
    error = "row " + std::to_string(index) + " has an unknown checkpoint kind";
  } else if (row.owner_worker_id[layout::kMaxWorkerIdLength] != '\0') {
    error = "row " + std::to_string(index) + " has an unterminated worker id";
  } else {
    return false;
  }
  return true;
}

void pwrite_all(int fd, const void* data, size_t size, uint64_t offset, const std::string& path) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t written = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "cannot write " + path);
    }
    bytes += written;
    size -= static_cast<size_t>(written);
    offset += static_cast<uint64_t>(written);
  }
}

}  // namespace

bool is_valid_application_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

std::string applications_directory(const std::string& stream_directory) {
  return file_names::in(stream_directory, kApplicationsDirectory);
}

std::string lease_table_path(const std::string& stream_directory, std::string_view application) {
  std::string name(application);
  name += kLeaseTableSuffix;
  return file_names::in(applications_directory(stream_directory), name);
}

void seal_header(LeaseTableHeader& header) noexcept { header.checksum = xxh3_64(&header, kHeaderChecksummed); }
void seal_row(LeaseRow& row) noexcept { row.checksum = xxh3_64(&row, kRowChecksummed); }

LeaseRow untracked_row(uint32_t shard_index) noexcept {
  LeaseRow row{};
  row.shard_index = shard_index;
  row.parent_index = layout::kNoLeaseParent;
  row.adjacent_parent_index = layout::kNoLeaseParent;
  seal_row(row);
  return row;
}

bool parse_lease_table(const uint8_t* data, size_t size, LeaseTableImage& out, std::string& error) {
  out = LeaseTableImage{};
  if (size == 0) return true;
  if (size < sizeof(LeaseTableHeader)) {
    error = "truncated: " + std::to_string(size) + " bytes, shorter than its 64-byte header";
    return false;
  }
  std::memcpy(&out.header, data, sizeof out.header);
  const LeaseTableHeader& header = out.header;
  if (all_zero(data, sizeof header)) {
    out.header = LeaseTableHeader{};
    return true;  // its creator died before writing the header: a table never written
  }
  if (static_cast<uint32_t>(header.magic_word) != layout::kLeaseTableMagic) {
    error = "not a lease table (bad magic)";
    return false;
  }
  if (header.magic_word != layout::lease_table_magic_word()) {
    error = "lease table layout " + std::to_string((header.magic_word >> 32) & 0xffff) + "." +
            std::to_string(header.magic_word >> 48) + ", this library reads " +
            std::to_string(layout::kLeaseTableLayoutMajor) + "." + std::to_string(layout::kLeaseTableLayoutMinor);
    return false;
  }
  if (header.checksum != xxh3_64(&header, kHeaderChecksummed)) {
    error = "header fails its checksum";
    return false;
  }
  if (header.row_size != layout::kLeaseRowSize || header.row_count > kShardTableCapacity) {
    error = "header has row size " + std::to_string(header.row_size) + " and row count " +
            std::to_string(header.row_count);
    return false;
  }
  const uint64_t expected = layout::kLeaseTableHeaderSize + uint64_t{header.row_count} * layout::kLeaseRowSize;
  if (size < expected) {
    error = "truncated: " + std::to_string(size) + " bytes, its header names " + std::to_string(header.row_count) +
            " rows (" + std::to_string(expected) + " bytes)";
    return false;
  }
  if (header.initial_position != static_cast<uint32_t>(layout::CheckpointKind::kTrimHorizon) &&
      header.initial_position != static_cast<uint32_t>(layout::CheckpointKind::kLatest) &&
      header.initial_position != static_cast<uint32_t>(layout::CheckpointKind::kAtTimestamp)) {
    error = "header has an unknown initial position";
    return false;
  }
  out.rows.resize(header.row_count);
  std::memcpy(out.rows.data(), data + layout::kLeaseTableHeaderSize, header.row_count * layout::kLeaseRowSize);
  for (uint32_t i = 0; i < header.row_count; ++i) {
    if (row_problem(out.rows[i], i, error)) return false;
  }
  return true;
}

LeaseTableFile LeaseTableFile::open(const std::string& stream_directory, std::string_view application,
                                    uint32_t file_mode, bool create) {
  if (!is_valid_application_name(application)) {
    throw Error(StatusCode::kInvalidArgument,
                "application name '" + std::string(application) + "' must match [a-zA-Z0-9_.-]{1,128}");
  }
  const std::string path = lease_table_path(stream_directory, application);
  if (create) {
    const std::string directory = applications_directory(stream_directory);
    const mode_t directory_mode = stream_directory_mode(file_mode);
    if (::mkdir(directory.c_str(), directory_mode) == 0) {
      // mkdir applied the umask; the stream's mode (setgid for a group-shared stream) whoever made it.
      if (::chmod(directory.c_str(), directory_mode) != 0) throw_errno(errno, "cannot set the mode of " + directory);
    } else if (errno != EEXIST) {
      throw_errno(errno, "cannot create " + directory);
    }
    FileDescriptor file(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, file_mode));
    if (file.fd >= 0) {
      if (::fchmod(file.fd, file_mode) != 0) throw_errno(errno, "cannot set the mode of " + path);
      return LeaseTableFile(path, std::move(file));
    }
    if (errno != EEXIST) throw_errno(errno, "cannot create " + path);
  }
  // Without `create` the table is only read (describe, tail) or unlinked: a user the stream's mode lets read
  // but not write can still look at it.
  FileDescriptor file(::open(path.c_str(), (create ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (file.fd < 0 && errno == ENOENT) {
    throw Error(StatusCode::kResourceNotFound, "Application " + std::string(application) + " not found (no " +
                                                   path + ")");
  }
  if (file.fd < 0) throw_errno(errno, "cannot open " + path);
  return LeaseTableFile(path, std::move(file));
}

LeaseTableImage LeaseTableFile::read_locked() const {
  struct stat info {};
  if (::fstat(file_.fd, &info) != 0) throw_errno(errno, "cannot stat " + path_);
  std::vector<uint8_t> bytes(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::pread(file_.fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno(errno, "cannot read " + path_);
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  LeaseTableImage image;
  std::string error;
  if (!parse_lease_table(bytes.data(), done, image, error)) {
    throw Error(StatusCode::kCorrupted, "lease table " + path_ + " is corrupted: " + error);
  }
  return image;
}

LeaseTableImage LeaseTableFile::read() const {
  const std::lock_guard<std::mutex> threads(*threads_);
  ScopedFlock lock(file_.fd, LOCK_SH, path_);
  return read_locked();
}

void LeaseTableFile::update(const std::function<bool(LeaseTableImage&)>& change) {
  const std::lock_guard<std::mutex> threads(*threads_);
  ScopedFlock lock(file_.fd, LOCK_EX, path_);
  const LeaseTableImage before = read_locked();
  LeaseTableImage after = before;
  if (!change(after)) return;
  // Rows first, the header (the row count that makes new rows visible) last.
  for (size_t i = 0; i < after.rows.size(); ++i) {
    LeaseRow& row = after.rows[i];
    row.shard_index = static_cast<uint32_t>(i);
    seal_row(row);
    if (i < before.rows.size() && std::memcmp(&row, &before.rows[i], sizeof row) == 0) continue;
    pwrite_all(file_.fd, &row, sizeof row, layout::kLeaseTableHeaderSize + i * layout::kLeaseRowSize, path_);
  }
  after.header.magic_word = layout::lease_table_magic_word();
  after.header.row_size = layout::kLeaseRowSize;
  after.header.row_count = static_cast<uint32_t>(after.rows.size());
  after.header.epoch = before.header.epoch + 1;
  seal_header(after.header);
  pwrite_all(file_.fd, &after.header, sizeof after.header, 0, path_);
}

bool LeaseTableFile::deleted() const {
  struct stat info {};
  return ::fstat(file_.fd, &info) != 0 || info.st_nlink == 0;
}

std::vector<std::string> list_lease_tables(const std::string& stream_directory) {
  std::vector<std::string> names;
  const std::string directory = applications_directory(stream_directory);
  DIR* listing = ::opendir(directory.c_str());
  if (listing == nullptr) {
    if (errno == ENOENT) return names;
    throw_errno(errno, "cannot list " + directory);
  }
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name(entry->d_name);
    if (name.size() <= kLeaseTableSuffix.size() || !name.ends_with(kLeaseTableSuffix)) continue;
    const std::string_view application = name.substr(0, name.size() - kLeaseTableSuffix.size());
    if (is_valid_application_name(application)) names.emplace_back(application);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

void remove_lease_table(const std::string& stream_directory, std::string_view application) {
  LeaseTableFile::open(stream_directory, application, 0600, false).remove();
}

void LeaseTableFile::remove() {
  const std::lock_guard<std::mutex> threads(*threads_);
  ScopedFlock lock(file_.fd, LOCK_EX, path_);
  if (::unlink(path_.c_str()) != 0) throw_errno(errno, "cannot delete " + path_);
}

}  // namespace shmstream::detail
