#include "segment/segment_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <utility>

#include "common/file_descriptor.hpp"
#include "common/file_names.hpp"
#include "common/system_error.hpp"

namespace shmstream::detail {
namespace {

std::atomic<uint64_t> temporary_counter{0};

void initialise_header(layout::SegmentHeader& header, uint64_t number, const SegmentIdentity& identity) {
  std::memset(static_cast<void*>(&header), 0, sizeof header);
  header.base_position = number * identity.segment_size;
  header.shard_index = identity.shard_index;
  header.segment_size = identity.segment_size;
  header.stream_uuid_low = identity.stream_uuid_low;
  header.tail.store(layout::kSegmentHeaderSize, std::memory_order_relaxed);  // private copy, not shared yet
  header.magic_word.store(layout::segment_magic_word(), std::memory_order_relaxed);
}

std::string temporary_name(const std::string& shard_directory) {
  return shard_directory + "/" + std::string(file_names::kTemporaryPrefix) + std::to_string(::getpid()) + "-" +
         std::to_string(temporary_counter.fetch_add(1, std::memory_order_relaxed));
}

Status write_header(int fd, uint64_t number, const SegmentIdentity& identity) {
  layout::SegmentHeader header;
  initialise_header(header, number, identity);
  if (::pwrite(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    return Status(status_from_errno(errno == 0 ? EIO : errno), "cannot write segment header");
  }
  return Status::ok();
}

int write_zeros(int fd, uint64_t length, Pacing pacing) {
  static const uint8_t zeros[kPacedStepBytes] = {};
  return in_steps(length, pacing, kPacedStepBytes, [&](uint64_t offset, uint64_t step) {
    for (uint64_t done = 0; done < step;) {
      const ssize_t written = ::pwrite(fd, zeros, std::min<uint64_t>(step - done, sizeof zeros),
                                       static_cast<off_t>(offset + done));
      if (written <= 0) return written == 0 ? EIO : errno;
      done += static_cast<uint64_t>(written);
    }
    return 0;
  });
}

// memset through a mapping: ~3 ms per 64 MiB against ~13 ms for pwrite of zeros.
void zero_mapping(const MappedRegion& mapping, uint64_t length, Pacing pacing) {
  (void)in_steps(length, pacing, kPacedZeroStepBytes, [&](uint64_t offset, uint64_t step) {
    std::memset(mapping.data() + offset, 0, step);
    return 0;
  });
}

// Allocates every page of a new, empty segment file. Writing through a mapping (MADV_POPULATE_WRITE) does
// in one pass what posix_fallocate + populating a mapping did in two, and lets the pages be huge ones.
// Returns 0 or an errno; the mapping is left in `mapping` for the caller to keep.
int allocate_pages(int fd, const SegmentIdentity& identity, Pacing pacing, MappedRegion& mapping) {
  if (::ftruncate(fd, static_cast<off_t>(identity.segment_size)) != 0) return errno;  // EFBIG: RLIMIT_FSIZE
  if (!MappedRegion::map(fd, identity.segment_size, true, false, mapping)) return errno != 0 ? errno : ENOMEM;
  if (identity.huge_page_bytes != 0) mapping.advise_huge_pages();
  const int error = mapping.populate(true, pacing, identity.populate_step_bytes());
  if (error == 0) return 0;
  mapping = MappedRegion();
  // EFAULT: a page could not be allocated; the file is ours alone, so the filesystem is full.
  if (error == EFAULT) return ENOSPC;
  if (error != EINVAL) return error;
  // A kernel before 5.14: reserve the pages with posix_fallocate; they are mapped on first use.
  return in_steps(identity.segment_size, pacing, kPacedStepBytes, [&](uint64_t offset, uint64_t length) {
    return ::posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(length));
  });
}

// Makes the shard's spare file segment `number`. false: no spare, or a process still maps it (its shared
// lock blocks ours), or something failed; the caller then allocates a new file. Renaming the spare to a
// private name first means two creators never reuse the same file.
bool reuse_spare_segment(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                         Pacing pacing, KeptMappings* kept, const std::string& final_path) {
  const std::string temporary_path = temporary_name(shard_directory);
  if (::rename(file_names::in(shard_directory, file_names::kSpareSegment).c_str(), temporary_path.c_str()) != 0) return false;
  FileDescriptor file;
  file.fd = ::open(temporary_path.c_str(), O_RDWR | O_CLOEXEC);
  auto give_up = [&] {
    ::unlink(temporary_path.c_str());
    return false;
  };
  if (file.fd < 0) return give_up();
  (void)::futimens(file.fd, nullptr);  // a fresh ".tmp-" file: the janitor removes only old ones
  struct stat info {};
  if (::flock(file.fd, LOCK_EX | LOCK_NB) != 0 || ::fstat(file.fd, &info) != 0 ||
      static_cast<uint64_t>(info.st_size) != identity.segment_size || ::fchmod(file.fd, identity.file_mode) != 0) {
    return give_up();
  }
  // All of it: a retired segment was full (it was rolled past), and its tail is only a hint of that.
  const uint64_t extent = identity.segment_size;
  MappedRegion mapping = kept != nullptr ? kept->take(file.fd, true, identity.segment_size) : MappedRegion();
  if (mapping) {
    zero_mapping(mapping, extent, pacing);
  } else if (write_zeros(file.fd, extent, pacing) != 0) {
    return give_up();
  }
  if (!write_header(file.fd, number, identity)) return give_up();
  // Unlocked before it gets its name: a mapper that finds the exclusive lock takes the file for a retired one.
  (void)::flock(file.fd, LOCK_UN);
  if (::link(temporary_path.c_str(), final_path.c_str()) == 0) {
    ::unlink(temporary_path.c_str());
  } else if (errno != EEXIST) {
    return give_up();
  } else if (const std::string spare = file_names::in(shard_directory, file_names::kSpareSegment);
             ::renameat2(AT_FDCWD, temporary_path.c_str(), AT_FDCWD, spare.c_str(), RENAME_NOREPLACE) != 0) {
    ::unlink(temporary_path.c_str());  // another creator made the segment, and there is a new spare already
  }  // else: another creator made the segment meanwhile; this file, zeroed, is the spare again
  // This process is about to map the segment (the preparer asked for it): it gets this mapping back.
  if (mapping) kept->keep(std::move(mapping), std::exchange(file.fd, -1), true);
  return true;
}

// Opens a segment file by name with the shared lock every mapper holds. A file that a recycler has locked,
// or that no longer carries this name, was retired after the name was looked up: kResourceNotFound, as for
// an unlinked one.
Status open_locked(const std::string& path, FileDescriptor& file, bool& writable) {
  writable = true;
  file.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (file.fd < 0 && (errno == EACCES || errno == EROFS)) {
    writable = false;
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (file.fd < 0) return Status(status_from_errno(errno), "cannot open segment file");
  if (::flock(file.fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return Status(StatusCode::kResourceNotFound, "segment file is being recycled");
    return Status(status_from_errno(errno), "cannot lock segment file");
  }
  struct stat opened {};
  struct stat named {};
  if (::fstat(file.fd, &opened) != 0) return Status(status_from_errno(errno), "cannot stat segment file");
  if (::stat(path.c_str(), &named) != 0 || named.st_ino != opened.st_ino || named.st_dev != opened.st_dev) {
    return Status(StatusCode::kResourceNotFound, "segment file was retired while being opened");
  }
  return Status::ok();
}

}  // namespace

MappedSegment::~MappedSegment() {
  if (kept_ && locked_fd_ >= 0) {
    kept_->keep(std::move(region_), locked_fd_, writable_);
    return;
  }
  region_ = MappedRegion();  // unmapped before the lock goes: a recycler may zero the file right after
  if (locked_fd_ >= 0) ::close(locked_fd_);
}

std::string segment_file_name(uint64_t base_position) {
  char name[32];
  std::snprintf(name, sizeof name, "%020" PRIu64 ".seg", base_position);
  return name;
}

bool parse_segment_file_name(const std::string& name, uint64_t& base_position) noexcept {
  if (name.size() != 24 || name.compare(20, 4, ".seg") != 0) return false;
  uint64_t value = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(name[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  base_position = value;
  return true;
}

Status create_segment_file(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                      Pacing pacing, KeptMappings* kept) noexcept try {
  const std::string final_path = shard_directory + "/" + segment_file_name(number * identity.segment_size);
  if (::access(final_path.c_str(), F_OK) == 0) return Status::ok();
  if (reuse_spare_segment(shard_directory, number, identity, pacing, kept, final_path)) return Status::ok();
  // An unnamed O_TMPFILE needs no clean-up if we die and cannot be removed under us by the janitor; a
  // named ".tmp-" file is the fallback for filesystems without O_TMPFILE.
  FileDescriptor file;
  std::string temporary_path;
  file.fd = ::open(shard_directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, identity.file_mode);
  if (file.fd < 0) {
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
      return Status(status_from_errno(errno), "cannot create segment file");
    }
    temporary_path = temporary_name(shard_directory);
    file.fd = ::open(temporary_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, identity.file_mode);
    if (file.fd < 0) return Status(status_from_errno(errno), "cannot create segment file");
  }
  auto fail = [&](int error, const char* detail) {
    if (!temporary_path.empty()) ::unlink(temporary_path.c_str());
    return Status(status_from_errno(error), detail);
  };
  if (::fchmod(file.fd, identity.file_mode) != 0) return fail(errno, "cannot set segment file mode");
  MappedRegion mapping;
  if (const int error = allocate_pages(file.fd, identity, pacing, mapping); error != 0) {
    return fail(error, "no space for a new segment (allocating its pages failed)");
  }
  if (Status status = write_header(file.fd, number, identity); !status) {
    if (!temporary_path.empty()) ::unlink(temporary_path.c_str());
    return status;
  }
  // Publish the complete file under its final name; EEXIST means another process won and we use theirs.
  const std::string source = temporary_path.empty() ? "/proc/self/fd/" + std::to_string(file.fd) : temporary_path;
  const int flags = temporary_path.empty() ? AT_SYMLINK_FOLLOW : 0;
  if (::linkat(AT_FDCWD, source.c_str(), AT_FDCWD, final_path.c_str(), flags) != 0) {
    if (errno != EEXIST) return fail(errno, "cannot publish segment file");
    mapping = MappedRegion();  // another process won: its file is the segment, ours goes away
  }
  if (!temporary_path.empty()) ::unlink(temporary_path.c_str());
  // This process is about to map the segment (it asked for it): it gets this mapping back.
  if (mapping && kept != nullptr) kept->keep(std::move(mapping), std::exchange(file.fd, -1), true);
  return Status::ok();
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory creating a segment");
}

Status map_segment_file(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                    std::shared_ptr<MappedSegment>& out, Pacing pacing,
                    const std::shared_ptr<KeptMappings>& kept) noexcept try {
  const std::string path = shard_directory + "/" + segment_file_name(number * identity.segment_size);
  FileDescriptor file;
  bool writable = true;
  if (Status status = open_locked(path, file, writable); !status) return status;
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return Status(status_from_errno(errno), "cannot stat segment file");
  if (static_cast<uint64_t>(info.st_size) != identity.segment_size) {
    return Status(StatusCode::kCorrupted, "segment file has the wrong size (truncated?)");
  }
  MappedRegion region = kept ? kept->take(file.fd, writable, identity.segment_size) : MappedRegion();
  if (!region) {
    // MAP_POPULATE would fault the pages in before MADV_HUGEPAGE could ask for huge ones.
    const bool populate_now = pacing == Pacing::kAtOnce && identity.huge_page_bytes == 0;
    if (Status status = MappedRegion::map(file.fd, identity.segment_size, writable, populate_now, region); !status) {
      return status;
    }
    if (identity.huge_page_bytes != 0) region.advise_huge_pages();
    if (!populate_now) (void)region.populate(writable, pacing, identity.populate_step_bytes());  // best effort
  }
  auto segment =
      std::make_shared<MappedSegment>(std::move(region), std::exchange(file.fd, -1), number, writable, kept);
  if (Status status = validate_segment_header(segment->header(), number, identity); !status) return status;
  out = std::move(segment);
  return Status::ok();
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory mapping a segment");
}

bool retire_segment_file(const std::string& shard_directory, uint64_t base_position, bool keep_as_spare) noexcept try {
  const std::string path = shard_directory + "/" + segment_file_name(base_position);
  if (keep_as_spare) return ::rename(path.c_str(), file_names::in(shard_directory, file_names::kSpareSegment).c_str()) == 0;
  return ::unlink(path.c_str()) == 0;
} catch (...) {
  return false;
}

Status validate_segment_header(const layout::SegmentHeader& header, uint64_t number,
                               const SegmentIdentity& identity) noexcept {
  // acquire: pairs with nothing today (segments are published by link()), kept so a future in-place
  // initialisation stays correct.
  const uint64_t magic_word = header.magic_word.load(std::memory_order_acquire);
  if ((magic_word & 0xffffffffu) != layout::kSegmentMagic) {
    return Status(StatusCode::kCorrupted, "segment header has no segment magic");
  }
  if (((magic_word >> 32) & 0xffffu) != layout::kSegmentLayoutMajor) {
    return Status(StatusCode::kIncompatibleLayout, "segment layout major version differs from this library's");
  }
  if (header.segment_size != identity.segment_size || header.base_position != number * identity.segment_size) {
    return Status(StatusCode::kCorrupted, "segment header size/base position do not match its file");
  }
  if (header.shard_index != identity.shard_index || header.stream_uuid_low != identity.stream_uuid_low) {
    return Status(StatusCode::kCorrupted, "segment belongs to another shard or stream");
  }
  // relaxed: a sanity bound only; the tail's real synchronisation is the frames' state words.
  const uint64_t tail = header.tail.load(std::memory_order_relaxed) & ~layout::kTailClosedBit;
  if (tail < layout::kSegmentHeaderSize) {
    return Status(StatusCode::kCorrupted, "segment tail lies inside the header");
  }
  return Status::ok();
}

}  // namespace shmstream::detail

namespace shmstream::detail {

Status read_segment_file_header(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                           layout::SegmentHeader& header) noexcept try {
  const std::string path = shard_directory + "/" + segment_file_name(number * identity.segment_size);
  FileDescriptor file;
  bool writable = true;
  if (Status status = open_locked(path, file, writable); !status) return status;
  if (::pread(file.fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    return Status(StatusCode::kCorrupted, "segment file is shorter than its header");
  }
  return validate_segment_header(header, number, identity);
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory");
}

}  // namespace shmstream::detail
