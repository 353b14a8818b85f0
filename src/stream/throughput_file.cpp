#include "stream/throughput_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_names.hpp"
#include "shmstream/layout/shard_throughput.hpp"
#include "stream/file_modes.hpp"

namespace shmstream::detail {

void ensure_throughput_file(const std::string& stream_directory, uint32_t shard_capacity, uint32_t file_mode) {
  const std::string path = file_names::in(stream_directory, kThroughputFile);
  if (::access(path.c_str(), F_OK) == 0) return;
  const std::string next = path + ".next";  // a dead maker's leftover (makers hold the flock)
  if (::unlink(next.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "cannot remove " + next);
  const uint64_t size = layout::throughput_file_size(shard_capacity);
  {
    const FileDescriptor file = create_with_mode(next, file_mode);
    if (const int error = ::posix_fallocate(file.fd, 0, static_cast<off_t>(size)); error != 0) {
      ::unlink(next.c_str());
      throw_errno(error, "cannot allocate " + next);
    }
    MappedRegion region;
    if (Status status = MappedRegion::map(file.fd, size, true, false, region); !status) {
      ::unlink(next.c_str());
      throw_if_error(status, "cannot map " + next);
    }
    auto& header = *reinterpret_cast<layout::ThroughputHeader*>(region.data());
    header.shard_capacity = shard_capacity;
    // release: a mapper that sees the magic word sees the capacity (the lines start zeroed: nothing used).
    header.magic_word.store(layout::throughput_magic_word(), std::memory_order_release);
  }
  if (::rename(next.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(next.c_str());
    throw_errno(error, "cannot publish " + path);
  }
}

Status validate_throughput_state(const uint8_t* image, size_t size, uint32_t shard_capacity) noexcept {
  if (size != layout::throughput_file_size(shard_capacity)) {
    return Status(StatusCode::kCorrupted, "throughput.state size does not match the stream's shard capacity");
  }
  const auto& header = *reinterpret_cast<const layout::ThroughputHeader*>(image);
  // acquire: pairs with the maker's release store of the magic word.
  const uint64_t word = header.magic_word.load(std::memory_order_acquire);
  if ((word & 0xffffffffu) != layout::kThroughputMagic) {
    return Status(StatusCode::kCorrupted, "throughput.state has no throughput magic");
  }
  if (((word >> 32) & 0xffffu) != layout::kThroughputLayoutMajor) {
    return Status(StatusCode::kIncompatibleLayout, "throughput.state layout major version differs from this library's");
  }
  if (header.shard_capacity != shard_capacity) {
    return Status(StatusCode::kCorrupted, "throughput.state names another shard capacity");
  }
  return Status::ok();
}

Status map_throughput_file(const std::string& stream_directory, uint32_t shard_capacity,
                           MappedRegion& region) noexcept try {
  const std::string path = file_names::in(stream_directory, kThroughputFile);
  const FileDescriptor file(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (file.fd < 0) {
    return Status(status_from_errno(errno), "cannot open throughput.state (AWS-limits mode)");
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return Status(status_from_errno(errno), "cannot stat throughput.state");
  if (static_cast<uint64_t>(info.st_size) != layout::throughput_file_size(shard_capacity)) {
    return Status(StatusCode::kCorrupted, "throughput.state size does not match the stream's shard capacity");
  }
  MappedRegion mapped;
  if (Status status = MappedRegion::map(file.fd, static_cast<size_t>(info.st_size), true, false, mapped); !status) {
    return status;
  }
  if (Status status = validate_throughput_state(mapped.data(), mapped.size(), shard_capacity); !status) return status;
  region = std::move(mapped);
  return Status::ok();
} catch (...) {
  return Status(StatusCode::kInternalFailure, "out of memory mapping throughput.state");
}

}  // namespace shmstream::detail
