// Frame, layout 2: one record (or padding) inside a segment. Shared by every process that maps the segment.
//
//  byte 0                8                16
//  +----------------+----------------+------------------------------------------------------------+
//  | state word     | arrival ns     | key | data | trailers the flags name | zero pad to 16       |
//  +----------------+----------------+------------------------------------------------------------+
//  state word (u64):  bits  0..31  int32 length: 0 = free, < 0 = claimed (in progress), > 0 = committed
//                     bits 32..39  type (kData, kPad)
//                     bits 40..47  flags: bit 0 kFlagChecksum (8-byte trailer), bit 1 kFlagEncrypted
//                                  (16-byte tag trailer; key and data are AES-256-GCM ciphertext), bits 2..6
//                                  the key generation modulo 32 (encrypted frames only), bit 7 reserved (0)
//                     bits 48..63  partition key length
//  length counts header + key + data + trailers (unpadded); a frame occupies align16(length) bytes, padding
//  too (a claim the janitor padded keeps its producer's length: see store_committed_length()).
//  A shared producer's claim holds the committed word's bits 32..63 already: its commit stores bits 0..31.
//  The sequence number of a record is its position (segment base + offset): it is not stored.
//  Trailers follow the data in this order, unaligned (read and written with memcpy):
//    CHECKSUM (u64): XXH3_64bits_withSeed(bytes 8 .. end of data, seed = position ^ committed state word)
//    ENCRYPTED (16 bytes): the AES-256-GCM tag. Key = the generation's data key (stream_header.hpp), nonce =
//      shard index (u32 LE) || position (u64 LE), AAD = position (u64 LE) || committed state word (u64 LE) ||
//      arrival ns (i64 LE); plaintext = key || data, ciphertext in its place (docs/FORMAT.md "Encrypted frames").
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace shmstream::layout {

inline constexpr uint32_t kFrameAlignment = 16;
inline constexpr uint32_t kFrameHeaderSize = 16;

enum class FrameType : uint8_t { kData = 1, kPad = 2 };
inline constexpr uint8_t kFlagChecksum = 0x01;
inline constexpr uint8_t kFlagEncrypted = 0x02;
inline constexpr uint8_t kFlagKeySlotShift = 2;
inline constexpr uint8_t kFlagKeySlotMask = 0x7c;  // bits 2..6: key generation % 32
inline constexpr uint8_t kKnownFlags = kFlagChecksum | kFlagEncrypted | kFlagKeySlotMask;
inline constexpr uint32_t kChecksumTrailerSize = 8;
inline constexpr uint32_t kEncryptionTagSize = 16;

struct FrameHeader {
  std::atomic<uint64_t> state;  // see state word above
  int64_t arrival_ns;           // CLOCK_REALTIME at reservation (ns since the Unix epoch)
};

static_assert(sizeof(FrameHeader) == kFrameHeaderSize);
static_assert(offsetof(FrameHeader, state) == 0);
static_assert(offsetof(FrameHeader, arrival_ns) == 8);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

constexpr uint64_t align_frame(uint64_t length) noexcept {
  return (length + kFrameAlignment - 1) & ~uint64_t{kFrameAlignment - 1};
}

// Bytes of trailers a frame with these flags carries after its data.
constexpr uint32_t trailer_size(uint8_t flags) noexcept {
  return ((flags & kFlagChecksum) != 0 ? kChecksumTrailerSize : 0) +
         ((flags & kFlagEncrypted) != 0 ? kEncryptionTagSize : 0);
}

// The flags of an encrypted frame of a stream with `stream_flags`, under key generation `generation`.
constexpr uint8_t encrypted_flags(uint8_t stream_flags, uint32_t generation) noexcept {
  return static_cast<uint8_t>(stream_flags | kFlagEncrypted | ((generation % 32) << kFlagKeySlotShift));
}
constexpr uint32_t key_slot(uint8_t flags) noexcept { return (flags & kFlagKeySlotMask) >> kFlagKeySlotShift; }

constexpr uint64_t make_state(int32_t length, FrameType type, uint8_t flags, uint16_t key_length) noexcept {
  return uint64_t{static_cast<uint32_t>(length)} | (uint64_t{static_cast<uint8_t>(type)} << 32) |
         (uint64_t{flags} << 40) | (uint64_t{key_length} << 48);
}
// A shared producer's commit (docs/DESIGN.md §4.1): a release store of the length into bits 0..31 alone,
// over a claim whose bits 32..63 are the committed word's. A janitor that padded the claim first changed
// the type in bits 32..39 (to PAD, with this same length), which this store leaves as it is: the frame stays
// padding for every reader, and the producer can tell. An aligned 4-byte store and another CPU's locked
// 8-byte CAS of the word that holds it are ordered whole by the cache line on x86-64 (the Linux kernel's
// qspinlock mixes sizes the same way); the word is little-endian, so bits 0..31 are its first 4 bytes.
inline void store_committed_length(FrameHeader& header, uint32_t length) noexcept {
  static_assert(std::endian::native == std::endian::little);
  // release: publishes the frame's bytes to readers, whose acquire load of the whole word reads it.
  __atomic_store_n(reinterpret_cast<uint32_t*>(&header.state), length, __ATOMIC_RELEASE);
}

constexpr int32_t state_length(uint64_t state) noexcept { return static_cast<int32_t>(state & 0xffffffffu); }

// Bytes a record occupies in the log: header, key, data and `trailer_bytes`, aligned.
constexpr uint64_t record_footprint(uint64_t key_length, uint64_t data_length, uint32_t trailer_bytes) noexcept {
  return align_frame(kFrameHeaderSize + key_length + data_length + trailer_bytes);
}
// Bytes a claimed or committed frame occupies, from its state word (0 for a free frame): a claim carries
// its length too, so a walker can step over a frame still being written.
constexpr uint64_t state_footprint(uint64_t state) noexcept {
  const int64_t length = state_length(state);
  return align_frame(static_cast<uint64_t>(length < 0 ? -length : length));
}
constexpr FrameType state_type(uint64_t state) noexcept { return static_cast<FrameType>((state >> 32) & 0xff); }
constexpr uint8_t state_flags(uint64_t state) noexcept { return static_cast<uint8_t>((state >> 40) & 0xff); }
constexpr uint16_t state_key_length(uint64_t state) noexcept { return static_cast<uint16_t>(state >> 48); }

}  // namespace shmstream::layout
