#include "segment/kept_mappings.hpp"

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace shmstream::detail {

KeptMappings::~KeptMappings() {
  for (Kept& kept : kept_) release(kept);
}

void KeptMappings::release(Kept& kept) noexcept {
  kept.region = MappedRegion();  // unmapped before the descriptor closes, as in ~MappedSegment
  if (kept.fd >= 0) ::close(kept.fd);
  kept.fd = -1;
}

void KeptMappings::keep(MappedRegion region, int fd, bool writable) noexcept try {
  struct stat info {};
  if (!region || ::fstat(fd, &info) != 0 || info.st_nlink == 0) {
    region = MappedRegion();
    ::close(fd);
    return;
  }
  (void)::flock(fd, LOCK_UN);  // nobody reads through it any more: a recycler may now take the file
  std::lock_guard lock(mutex_);
  if (kept_.size() >= kMaxKept) {
    release(kept_.front());
    kept_.erase(kept_.begin());
  }
  kept_.push_back(Kept{info.st_dev, info.st_ino, writable, std::move(region), fd});
} catch (...) {
  ::close(fd);  // out of memory growing the list: the region unmaps on the way out
}

MappedRegion KeptMappings::take(int fd, bool writable, size_t size) noexcept {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return {};
  std::lock_guard lock(mutex_);
  const auto found = std::find_if(kept_.begin(), kept_.end(), [&](const Kept& kept) {
    return kept.device == info.st_dev && kept.inode == info.st_ino && kept.writable == writable &&
           kept.region.size() == size;
  });
  if (found == kept_.end()) return {};
  MappedRegion region = std::move(found->region);
  release(*found);
  kept_.erase(found);
  return region;
}

void KeptMappings::drop_unlinked() noexcept {
  std::lock_guard lock(mutex_);
  std::erase_if(kept_, [](Kept& kept) {
    struct stat info {};
    if (::fstat(kept.fd, &info) == 0 && info.st_nlink != 0) return false;
    release(kept);
    return true;
  });
}

size_t KeptMappings::size() noexcept {
  std::lock_guard lock(mutex_);
  return kept_.size();
}

}  // namespace shmstream::detail
