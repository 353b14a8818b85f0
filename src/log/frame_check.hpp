// Reading one frame safely: every field a reader trusts is bounds-checked against the segment, so a
// corrupted or hostile segment can give a wrong answer but never an out-of-bounds read (fuzzed), checksums
// or not. Inline: the reader's batch loop and the producer's checksum run it once per record.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/xxh3.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/layout/frame.hpp"
#include "shmstream/limits.hpp"

namespace shmstream::detail {

// kEncrypted: a DATA frame whose key and data are ciphertext (the stream's flags plus ENCRYPTED and a key
// generation), structurally sound and, where the stream has checksums, with a good checksum; its tag is
// checked only by whoever decrypts it (ShardCursor).
enum class FrameKind : uint8_t { kNotCommitted, kData, kPad, kCorrupted, kEncrypted };

struct FrameInfo {
  uint64_t footprint = 0;  // bytes the frame occupies (aligned); 0 when not committed or past the segment end
  uint16_t key_length = 0;
  uint32_t data_length = 0;
  int64_t arrival_ns = 0;
  uint8_t flags = 0;          // the frame's own flags (kData: the stream's)
  bool claimed = false;      // kNotCommitted: a producer has claimed the frame and is writing it
  const char* problem = "";  // for kCorrupted
};

// The checksum trailer (docs/FORMAT.md): one XXH3 over the arrival time, key and data, seeded with the
// position and the committed state word, so a frame moved elsewhere or a flipped length, flag or key length
// fails it as surely as a flipped payload byte. `frame` points at the frame's first byte.
inline uint64_t frame_checksum(const uint8_t* frame, uint64_t position, uint64_t committed_state,
                               size_t key_and_data_length) noexcept {
  return xxh3_64(frame + offsetof(layout::FrameHeader, arrival_ns), sizeof(int64_t) + key_and_data_length,
                 position ^ committed_state);
}

// The checks of a DATA frame past its type and flags: key length 1..256, length covering header, key and
// the `flags`' trailers, and the checksum where `flags` has one and `verify_checksum` is set.
[[gnu::always_inline]] inline FrameKind check_data_frame(const uint8_t* frame, uint64_t position, uint64_t state,
                                                          uint8_t flags,
                                                          bool verify_checksum, FrameKind kind,
                                                          FrameInfo& info) noexcept {
  const int32_t length = layout::state_length(state);
  const uint16_t key_length = layout::state_key_length(state);
  const uint64_t fixed = uint64_t{layout::kFrameHeaderSize} + key_length + layout::trailer_size(flags);
  // key_length - 1 wraps for 0: one compare for 1..kMaxPartitionKeyBytes.
  if (uint32_t{key_length} - 1 >= kMaxPartitionKeyBytes || static_cast<uint64_t>(length) < fixed) [[unlikely]] {
    info.problem = "frame partition key length is out of range";
    return FrameKind::kCorrupted;
  }
  info.key_length = key_length;
  info.data_length = static_cast<uint32_t>(static_cast<uint64_t>(length) - fixed);
  info.arrival_ns = reinterpret_cast<const layout::FrameHeader*>(frame)->arrival_ns;
  info.flags = flags;
  if ((flags & layout::kFlagChecksum) != 0 && verify_checksum) {
    const size_t payload = size_t{key_length} + info.data_length;
    uint64_t stored;
    std::memcpy(&stored, frame + layout::kFrameHeaderSize + payload, sizeof stored);
    if (frame_checksum(frame, position, state, payload) != stored) {
      info.problem = "frame checksum mismatch";
      return FrameKind::kCorrupted;
    }
  }
  return kind;
}

// A frame that is not a DATA frame with the stream's flags: an encrypted DATA frame, padding, or damage.
inline FrameKind inspect_unusual_frame(const uint8_t* frame, uint64_t position, uint64_t state,
                                       uint8_t expected_flags, bool verify_checksum, FrameInfo& info) noexcept {
  const layout::FrameType type = layout::state_type(state);
  // Padding occupies align16(length) like any frame (the caller checked that against the segment): a claim
  // the janitor padded keeps its producer's unaligned length (frame.hpp).
  if (type == layout::FrameType::kPad) return FrameKind::kPad;
  const uint8_t flags = layout::state_flags(state);
  if (type == layout::FrameType::kData &&
      (flags & ~layout::kFlagKeySlotMask) == (expected_flags | layout::kFlagEncrypted)) {
    return check_data_frame(frame, position, state, flags, verify_checksum, FrameKind::kEncrypted, info);
  }
  info.problem = type != layout::FrameType::kData ? "frame type is neither DATA nor PAD"
                 : flags != expected_flags        ? "frame flags differ from the stream's"
                                                  : "frame is damaged";
  return FrameKind::kCorrupted;
}

// What a walk taking frame after frame expects of the usual frame of a stream with `stream_flags` (a
// committed DATA frame with the stream's flags), worked out once per walk.
struct PlainFrameShape {
  explicit constexpr PlainFrameShape(uint8_t stream_flags) noexcept
      : high_bits(static_cast<uint32_t>(layout::make_state(0, layout::FrameType::kData, stream_flags, 1) >> 32)),
        fixed(layout::kFrameHeaderSize + layout::trailer_size(stream_flags)),
        checksum((stream_flags & layout::kFlagChecksum) != 0) {}

  uint32_t high_bits;  // bits 32..63 of such a frame's state word (type, flags, key length) for a 1-byte key
  uint32_t fixed;      // the bytes of such a frame's length that are neither key nor data: header and trailers
  bool checksum;       // such a frame has a checksum trailer
};

// A frame that passed is_plain_frame: what a reader hands out.
struct PlainFrame {
  uint64_t footprint;  // bytes the frame occupies (aligned)
  uint64_t payload;    // key and data bytes
  uint64_t key_length;
  uint64_t data_length;
  int64_t arrival_ns;
};

// The usual case of inspect_frame in as few compares as it takes, for a frame whose state word `state` was
// loaded with acquire: true when the frame is committed, lies within the `room` bytes left in the segment,
// is a DATA frame of the stream's shape with a key of 1..kMaxPartitionKeyBytes bytes and a length covering
// header, key and trailers, and (where `verify_checksum` and the stream has checksums) its checksum holds.
// false says nothing more: the frame may be padding, encrypted, claimed, free or damaged (inspect_frame
// tells which). Everything it accepts inspect_frame accepts as kData with the same fields (fuzzed).
[[gnu::always_inline]] inline bool is_plain_frame(const uint8_t* frame, uint64_t state, uint64_t room,
                                                 uint64_t position, PlainFrameShape shape, bool verify_checksum,
                                                 PlainFrame& plain) noexcept {
  const int32_t length = layout::state_length(state);
  if (length <= 0) [[unlikely]] return false;
  const uint64_t footprint = layout::align_frame(static_cast<uint64_t>(length));
  if (footprint > room) [[unlikely]] return false;
  // Type, flags and key length in one compare: less the expected bits, the low half (type and flags) is 0
  // exactly when they match, and then the high half is the key length - 1 (0xffff for an empty key).
  // Rotated, the word is below kMaxPartitionKeyBytes only for matching type and flags and a key in range.
  if (std::rotr(static_cast<uint32_t>(state >> 32) - shape.high_bits, 16) >= kMaxPartitionKeyBytes) [[unlikely]] {
    return false;
  }
  const uint32_t key_length = layout::state_key_length(state);
  const int64_t payload = int64_t{length} - shape.fixed;
  if (payload < int64_t{key_length}) [[unlikely]] return false;  // too short for its key and trailers
  if (shape.checksum && verify_checksum) {
    uint64_t stored;
    std::memcpy(&stored, frame + layout::kFrameHeaderSize + payload, sizeof stored);
    if (frame_checksum(frame, position, state, static_cast<size_t>(payload)) != stored) [[unlikely]] return false;
  }
  plain.footprint = footprint;
  plain.payload = static_cast<uint64_t>(payload);
  plain.key_length = key_length;
  plain.data_length = static_cast<uint64_t>(payload) - key_length;
  plain.arrival_ns = reinterpret_cast<const layout::FrameHeader*>(frame)->arrival_ns;
  return true;
}

// inspect_frame past its usual case, for the state word `state` it loaded: every check in turn, so the
// answer says which one failed. Cold: kept out of line so the walks inline only the usual case.
[[gnu::noinline]] inline FrameKind classify_frame(const uint8_t* frame, uint64_t state, uint64_t room,
                                                  uint64_t position, uint8_t expected_flags, bool verify_checksum,
                                                  FrameInfo& info) noexcept {
  const int32_t length = layout::state_length(state);
  if (length <= 0) {
    info.claimed = length < 0;
    return FrameKind::kNotCommitted;
  }
  const uint64_t footprint = layout::align_frame(static_cast<uint64_t>(length));
  if (footprint > room) {
    info.problem = "frame length runs past the segment end";
    return FrameKind::kCorrupted;
  }
  info.footprint = footprint;
  // Type and flags in one compare: bits 32..47 of a DATA frame of this stream.
  const uint64_t data_bits = layout::make_state(0, layout::FrameType::kData, expected_flags, 0) >> 32;
  if (((state >> 32) & 0xffff) != data_bits) {
    return inspect_unusual_frame(frame, position, state, expected_flags, verify_checksum, info);
  }
  return check_data_frame(frame, position, state, expected_flags, verify_checksum, FrameKind::kData, info);
}

// Inspects the frame at `frame` (a multiple of 16 past the segment header; `room` bytes from it to the
// segment end) at shard position `position`, with an acquire load of its state word, so a kData answer
// makes the key and data visible. `expected_flags`: the stream's frame flags; a DATA frame with others is
// corrupted (a flipped flag cannot hide a checksum), except an encrypted one (kEncrypted). The usual case,
// a DATA frame of the stream, is is_plain_frame's.
[[gnu::always_inline]] inline FrameKind inspect_frame(const uint8_t* frame, uint64_t room, uint64_t position,
                                                     uint8_t expected_flags, bool verify_checksum,
                                                     FrameInfo& info) noexcept {
  const auto& header = *reinterpret_cast<const layout::FrameHeader*>(frame);
  // acquire: pairs with the producer's commit; key, data and header fields are visible after it.
  const uint64_t state = header.state.load(std::memory_order_acquire);
  PlainFrame plain;
  if (is_plain_frame(frame, state, room, position, PlainFrameShape(expected_flags), verify_checksum, plain))
      [[likely]] {
    info.footprint = plain.footprint;
    info.key_length = static_cast<uint16_t>(plain.key_length);
    info.data_length = static_cast<uint32_t>(plain.data_length);
    info.arrival_ns = plain.arrival_ns;
    info.flags = expected_flags;
    return FrameKind::kData;
  }
  // Through a copy: `info` never has its address taken on the usual path, so it stays in registers.
  FrameInfo unusual = info;
  const FrameKind kind = classify_frame(frame, state, room, position, expected_flags, verify_checksum, unusual);
  info = unusual;
  return kind;
}

// Where a reader can go on after the damaged frame at `offset` of a segment: the first 16-byte boundary
// after it whose frame passes its structural check (and its checksum, where the stream has them), or that
// is not committed yet (never past free space), else the segment's end. Without checksums a run of payload
// bytes can pass for a frame: the recovery is a best effort there (docs/OPERATIONS.md "Damaged data").
inline uint64_t next_intact_frame(const uint8_t* segment_bytes, uint64_t segment_size, uint64_t base_position,
                                  uint64_t offset, uint8_t expected_flags) noexcept {
  for (offset += layout::kFrameAlignment; offset < segment_size; offset += layout::kFrameAlignment) {
    FrameInfo info;
    if (inspect_frame(segment_bytes + offset, segment_size - offset, base_position + offset, expected_flags, true,
                      info) != FrameKind::kCorrupted) {
      return offset;
    }
  }
  return segment_size;
}

// The same for a frame of a mapped segment at `offset` (>= the segment header, a multiple of 16).
inline FrameKind inspect_frame(const MappedSegment& segment, uint64_t offset, uint8_t expected_flags,
                               bool verify_checksum, FrameInfo& info) noexcept {
  return inspect_frame(segment.bytes(offset), segment.size() - offset, segment.base_position() + offset,
                       expected_flags, verify_checksum, info);
}

}  // namespace shmstream::detail
