// Segment files: creation (write-then-publish), mapping and header validation. Cold path: called when a
// producer or reader first reaches a segment, never per record.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "segment/kept_mappings.hpp"
#include "segment/mapped_region.hpp"
#include "shmstream/layout/frame.hpp"
#include "shmstream/layout/segment_header.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

// What a segment of one shard of one stream must say about itself.
struct SegmentIdentity {
  uint64_t segment_size = 0;
  uint32_t shard_index = 0;
  uint64_t stream_uuid_low = 0;
  uint32_t file_mode = 0600;
  // Bytes of a transparent huge page if the shard's files may get them (log/huge_pages.hpp), else 0.
  uint64_t huge_page_bytes = 0;

  // Paced population goes a huge page at a time where there are huge pages: a smaller step would only
  // wake the preparer again for a page that is already there.
  uint64_t populate_step_bytes() const noexcept {
    return huge_page_bytes > kPacedStepBytes ? huge_page_bytes : kPacedStepBytes;
  }
};

// A mapped segment holds its file open with a shared flock for as long as it is in use: a recycler
// (create_segment_file) reuses a retired file only when it can lock it exclusively, i.e. when no process uses a
// mapping of it. When the last user drops it, the mapping goes to `kept` (unlocked) if there is one, else
// it is unmapped.
class MappedSegment {
 public:
  MappedSegment(MappedRegion region, int locked_fd, uint64_t number, bool writable,
                std::shared_ptr<KeptMappings> kept = nullptr) noexcept
      : region_(std::move(region)), locked_fd_(locked_fd), number_(number), writable_(writable),
        kept_(std::move(kept)) {}
  ~MappedSegment();
  MappedSegment(const MappedSegment&) = delete;
  MappedSegment& operator=(const MappedSegment&) = delete;

  layout::SegmentHeader& header() const noexcept {
    return *reinterpret_cast<layout::SegmentHeader*>(region_.data());
  }
  layout::FrameHeader& frame(uint64_t offset) const noexcept {
    return *reinterpret_cast<layout::FrameHeader*>(region_.data() + offset);
  }
  uint8_t* bytes(uint64_t offset) const noexcept { return region_.data() + offset; }
  uint64_t number() const noexcept { return number_; }
  uint64_t size() const noexcept { return region_.size(); }
  uint64_t base_position() const noexcept { return number_ * region_.size(); }
  bool writable() const noexcept { return writable_; }

 private:
  MappedRegion region_;
  int locked_fd_;
  uint64_t number_;
  bool writable_;
  std::shared_ptr<KeptMappings> kept_;
};

// "<base position, 20 digits>.seg"
std::string segment_file_name(uint64_t base_position);
// Parses a segment file name back to its base position; false for anything else.
bool parse_segment_file_name(const std::string& name, uint64_t& base_position) noexcept;

// Creates segment `number` of the shard unless it exists. The shard's spare file is reused when no process
// uses a mapping of it any more (its pages are already allocated: zeroing them is ~4x cheaper than new
// tmpfs pages, and ~4x cheaper again with memset through a mapping this process kept in `kept`); otherwise
// a temporary file is mapped and every page of it allocated by writing (MADV_POPULATE_WRITE, with
// MADV_HUGEPAGE first: one pass that also fills the page tables, and huge pages where the mount allows
// them; a full filesystem fails now, never with a SIGBUS later; posix_fallocate on kernels before 5.14).
// Either way it gets its header and is then link()ed under its final name, so nobody ever maps a half-made
// segment; the creator's mapping goes to `kept`, so this process maps the new segment for free.
// kStorageFull when the filesystem is full.
Status create_segment_file(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                      Pacing pacing = Pacing::kAtOnce, KeptMappings* kept = nullptr) noexcept;

// Takes a segment file out of the log: the newest trimmed segment becomes the shard's spare (replacing the
// previous one), older ones are unlinked. false if the file was already gone.
bool retire_segment_file(const std::string& shard_directory, uint64_t base_position, bool keep_as_spare) noexcept;

// Maps an existing segment read-write (read-only if the file mode allows only that) and validates it; takes
// a mapping of the same file back from `kept` instead of mapping it anew, and hands it back there when done.
// kResourceNotFound if the file is gone (trimmed), kCorrupted for a wrong size or header.
Status map_segment_file(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                    std::shared_ptr<MappedSegment>& out, Pacing pacing = Pacing::kAtOnce,
                    const std::shared_ptr<KeptMappings>& kept = nullptr) noexcept;

// Checks a header against what the segment must be; works on any 64 bytes (fuzzed).
Status validate_segment_header(const layout::SegmentHeader& header, uint64_t number,
                               const SegmentIdentity& identity) noexcept;

}  // namespace shmstream::detail

namespace shmstream::detail {
// Reads just the header of a segment with pread (no mapping), validated. For searches over many segments.
Status read_segment_file_header(const std::string& shard_directory, uint64_t number, const SegmentIdentity& identity,
                           layout::SegmentHeader& header) noexcept;
}  // namespace shmstream::detail
