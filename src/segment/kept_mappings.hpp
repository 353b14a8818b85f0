// Mappings of segment files this process no longer uses, kept while the files exist. A recycled segment
// (docs/FORMAT.md, "Segment recycling") is the same file under a new name: a process that still has it
// mapped takes that mapping back instead of mmap + populate (~7 ms per 64 MiB) and, before that, munmap
// (~7 ms), and the recycler zeroes the file through it with memset (~3 ms) instead of pwrite (~13 ms).
//
// A kept mapping holds its descriptor open but unlocked: no view into it exists any more (it was dropped by
// the segment cache and every cursor), so a recycler may take the file's exclusive lock and rewrite it. It
// is taken back only by map_segment_file, after the file was opened, locked and checked under its new name.
// A kept mapping of a file that was unlinked would pin the file's memory: keep() refuses files unlinked
// already, and drop_unlinked() unmaps the others once they are; it runs after every trim in this process,
// on every wake of the segment preparer (at least every 100 ms while it runs) and on every janitor pass.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <mutex>
#include <vector>

#include "segment/mapped_region.hpp"

namespace shmstream::detail {

class KeptMappings {
 public:
  KeptMappings() = default;
  ~KeptMappings();
  KeptMappings(const KeptMappings&) = delete;
  KeptMappings& operator=(const KeptMappings&) = delete;

  // Takes over a mapping and its (shared-locked) descriptor: keeps both, unlocked, unless the file was
  // unlinked; the oldest kept mapping goes when there are more than kMaxKept.
  void keep(MappedRegion region, int fd, bool writable) noexcept;
  // The kept mapping of the file open as `fd` (same inode, size and protection), or an empty region. Its
  // kept descriptor is closed: `fd`, with the caller's lock, now stands for it.
  MappedRegion take(int fd, bool writable, size_t size) noexcept;
  // Unmaps kept mappings whose files were unlinked (trimmed), so their memory is freed.
  void drop_unlinked() noexcept;
  size_t size() noexcept;

  // Per stream and process: enough for a byte-capped shard of up to ~30 segments to go round without a
  // single mmap, or 16 shards of 2; at 64 MiB segments 2 GiB of address space and 4 MiB of page tables.
  static constexpr size_t kMaxKept = 32;

 private:
  struct Kept {
    dev_t device;
    ino_t inode;
    bool writable;
    MappedRegion region;
    int fd;
  };
  static void release(Kept& kept) noexcept;

  std::mutex mutex_;  // cold path: a segment changes hands a few times a second at most
  std::vector<Kept> kept_;
};

}  // namespace shmstream::detail
