// A byte copy without a library call for the sizes partition keys and small records have. A call to
// memcpy costs ~20 instructions of set-up and dispatch before it moves a byte; up to 64 bytes, two or four
// overlapping unaligned moves do the whole copy. Larger copies go to memcpy, whose loops win there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace shmstream::detail {

template <size_t kWidth>
[[gnu::always_inline]] inline void move_pair(uint8_t* to, const char* from, size_t length) noexcept {
  // Head and tail of the range, each kWidth bytes, overlapping in the middle when length < 2 * kWidth.
  uint8_t head[kWidth];
  uint8_t tail[kWidth];
  std::memcpy(head, from, kWidth);
  std::memcpy(tail, from + length - kWidth, kWidth);
  std::memcpy(to, head, kWidth);
  std::memcpy(to + length - kWidth, tail, kWidth);
}

// 64 bytes through a buffer the compiler keeps in vector registers: copying two such blocks needs no more
// than the two pointers at once (four head-and-tail moves with their addresses worked out together made a
// caller without a stack frame save a register on every call).
[[gnu::always_inline]] inline void move_64(uint8_t* to, const char* from) noexcept {
  uint8_t bytes[64];
  std::memcpy(bytes, from, 64);
  std::memcpy(to, bytes, 64);
}

// The length classes every copy below is made of, each without a call.
// 0..16 bytes: two overlapping moves of 8 or 4, or byte by byte under 4.
[[gnu::always_inline]] inline void copy_up_to_16(uint8_t* to, const char* from, size_t length) noexcept {
  if (length >= 8) return move_pair<8>(to, from, length);
  if (length >= 4) return move_pair<4>(to, from, length);
  for (size_t i = 0; i < length; ++i) to[i] = static_cast<uint8_t>(from[i]);
}
// 32..64 bytes: the first 32 and the last 32, overlapping when length < 64.
[[gnu::always_inline]] inline void copy_32_to_64(uint8_t* to, const char* from, size_t length) noexcept {
  move_pair<16>(to, from, 32);
  move_pair<16>(to + length - 32, from + length - 32, 32);
}
// 64..128 bytes: the first 64 and the last 64, overlapping when length < 128.
[[gnu::always_inline]] inline void copy_64_to_128(uint8_t* to, const char* from, size_t length) noexcept {
  move_64(to, from);
  move_64(to + length - 64, from + length - 64);
}

// copy_bytes for lengths below kCopyShortLimit (up to 128 bytes), without a call at all: a caller with no
// stack frame keeps it.
inline constexpr size_t kCopyShortLimit = 129;
[[gnu::always_inline]] inline void copy_short(uint8_t* to, const char* from, size_t length) noexcept {
  if (length >= 16) {
    if (length <= 32) return move_pair<16>(to, from, length);
    if (length <= 64) return copy_32_to_64(to, from, length);
    return copy_64_to_128(to, from, length);
  }
  copy_up_to_16(to, from, length);
}

// copy_short with the length classes in the order the fast put's copies meet them, so the usual lengths take
// the fewest compares: partition keys (mostly 8..36 bytes) test the short classes first, record data (more
// often over 32 bytes than under 16) the long ones.
[[gnu::always_inline]] inline void copy_short_key(uint8_t* to, const char* from, size_t length) noexcept {
  if (length <= 16) return copy_up_to_16(to, from, length);
  copy_short(to, from, length);
}
[[gnu::always_inline]] inline void copy_short_data(uint8_t* to, const char* from, size_t length) noexcept {
  if (length > 32) {
    if (length <= 64) return copy_32_to_64(to, from, length);
    return copy_64_to_128(to, from, length);
  }
  copy_short(to, from, length);
}

[[gnu::always_inline]] inline void copy_bytes(uint8_t* to, const char* from, size_t length) noexcept {
  if (length >= 16) {
    if (length <= 32) return move_pair<16>(to, from, length);
    if (length <= 64) return copy_32_to_64(to, from, length);
    std::memcpy(to, from, length);
    return;
  }
  copy_up_to_16(to, from, length);
}

}  // namespace shmstream::detail
