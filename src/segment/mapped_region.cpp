#include "segment/mapped_region.hpp"

#include <sys/mman.h>

#include <utility>

#include "common/system_error.hpp"

namespace shmstream::detail {

MappedRegion::~MappedRegion() {
  if (base_ != nullptr) ::munmap(base_, size_);
}

MappedRegion::MappedRegion(MappedRegion&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedRegion& MappedRegion::operator=(MappedRegion&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) ::munmap(base_, size_);
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Status MappedRegion::map(int fd, size_t size, bool writable, bool populate, MappedRegion& out) noexcept {
  const int protection = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  const int flags = MAP_SHARED | (populate ? MAP_POPULATE : 0);
  void* base = ::mmap(nullptr, size, protection, flags, fd, 0);
  if (base == MAP_FAILED) {
    return Status(status_from_errno(errno), "mmap failed");
  }
  out = MappedRegion(static_cast<uint8_t*>(base), size);
  return Status::ok();
}

void MappedRegion::advise_huge_pages() const noexcept { (void)::madvise(base_, size_, MADV_HUGEPAGE); }

int MappedRegion::populate(bool writable, Pacing pacing, uint64_t step_bytes) const noexcept {
#ifndef MADV_POPULATE_READ
  constexpr int MADV_POPULATE_READ = 22;  // uapi values; glibc headers before 2.35 lack them
  constexpr int MADV_POPULATE_WRITE = 23;
#endif
  const int advice = writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
  return in_steps(size_, pacing, step_bytes, [&](uint64_t offset, uint64_t length) {
    return ::madvise(base_ + offset, length, advice) == 0 ? 0 : errno;
  });
}

}  // namespace shmstream::detail
