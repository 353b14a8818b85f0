// XXH3-64 compiled into the caller (same algorithm and values as libxxhash): through the shared library a
// call goes via a PLT stub and a generic entry that dispatches on the length; inlined, hashing an 8-byte
// partition key or a 72-byte frame is a few dozen instructions with no call.
#pragma once

#include <cstddef>
#include <cstdint>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace shmstream::detail {

inline uint64_t xxh3_64(const void* data, size_t length, uint64_t seed = 0) noexcept {
  return XXH3_64bits_withSeed(data, length, seed);
}

}  // namespace shmstream::detail
