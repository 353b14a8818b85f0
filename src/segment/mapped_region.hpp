// An owned mmap of a whole file (the only place besides segment_file.cpp that maps memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "segment/pacing.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

class MappedRegion {
 public:
  MappedRegion() noexcept = default;
  MappedRegion(uint8_t* base, size_t size) noexcept : base_(base), size_(size) {}
  ~MappedRegion();
  MappedRegion(MappedRegion&& other) noexcept;
  MappedRegion& operator=(MappedRegion&& other) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;

  uint8_t* data() const noexcept { return base_; }
  size_t size() const noexcept { return size_; }
  explicit operator bool() const noexcept { return base_ != nullptr; }

  // Maps `size` bytes of an open descriptor shared; `populate` pre-faults the page tables.
  static Status map(int fd, size_t size, bool writable, bool populate, MappedRegion& out) noexcept;
  // Asks for transparent huge pages (MADV_HUGEPAGE); they come where the filesystem allows them.
  void advise_huge_pages() const noexcept;
  // Pre-faults the pages of an unpopulated mapping, `step_bytes` at a time when paced (MADV_POPULATE_*,
  // Linux 5.14+). Writing allocates the file's missing pages. Returns 0 or the errno of the failed step:
  // EFAULT when a page could not be allocated (full tmpfs), EINVAL on a kernel without MADV_POPULATE_*.
  int populate(bool writable, Pacing pacing, uint64_t step_bytes = kPacedStepBytes) const noexcept;

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace shmstream::detail
