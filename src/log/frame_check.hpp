// Reading one frame safely: every field a reader trusts is bounds-checked against the segment, so a
// corrupted or hostile segment can give a wrong answer but never an out-of-bounds read (fuzzed).
#pragma once

#include <cstddef>
#include <cstdint>

#include "segment/segment_file.hpp"

namespace shmstream::detail {

enum class FrameKind : uint8_t { kNotCommitted, kData, kPad, kCorrupted };

struct FrameInfo {
  uint64_t footprint = 0;  // bytes the frame occupies (aligned); 0 unless kData/kPad
  uint16_t key_length = 0;
  uint32_t data_length = 0;
  int64_t arrival_ns = 0;
  uint8_t flags = 0;
  bool claimed = false;      // kNotCommitted: a producer has claimed the frame and is writing it
  const char* problem = "";  // for kCorrupted
};

// checksum = XXH3_64bits_withSeed(key ‖ data, seed = XXH3_64bits(committed state ‖ sequence ‖ arrival)).
// The committed state word is covered so a flipped key length or flag cannot move the key/data boundary.
uint64_t frame_checksum(uint64_t committed_state, uint64_t sequence_number, int64_t arrival_ns, const void* payload,
                        size_t length) noexcept;

// Inspects the frame at `offset` (a multiple of 32, >= 64, < segment size) with an acquire load of its
// state word, so a kData answer makes the key and data visible.
FrameKind inspect_frame(const MappedSegment& segment, uint64_t offset, bool verify_checksum, FrameInfo& info) noexcept;

}  // namespace shmstream::detail
