#include "crypto/ghash.hpp"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#include <tmmintrin.h>
#include <wmmintrin.h>
#define SHMSTREAM_GHASH_X86 1
#define SHMSTREAM_CLMUL __attribute__((target("pclmul,ssse3")))
#endif

namespace shmstream::detail::ghash {

#if SHMSTREAM_GHASH_X86

bool cpu_has_carryless_multiply() noexcept {
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
}

namespace {

SHMSTREAM_CLMUL inline __m128i reflect(__m128i block) noexcept {
  return _mm_shuffle_epi8(block, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

// [high:low] ^= a * b, unreduced (255 bits).
SHMSTREAM_CLMUL inline void multiply_add(__m128i a, __m128i b, __m128i& low, __m128i& high) noexcept {
  const __m128i middle =
      _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));
  low = _mm_xor_si128(low, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x00), _mm_slli_si128(middle, 8)));
  high = _mm_xor_si128(high, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x11), _mm_srli_si128(middle, 8)));
}

// x >> s as one 128-bit value (0 < s < 64).
SHMSTREAM_CLMUL inline __m128i shift_right(__m128i x, int s) noexcept {
  return _mm_or_si128(_mm_srli_epi64(x, s), _mm_slli_epi64(_mm_srli_si128(x, 8), 64 - s));
}

// The field element of the reflected product [high:low].
SHMSTREAM_CLMUL inline __m128i reduce(__m128i low, __m128i high) noexcept {
  // Shift left by one: register bit k becomes the coefficient of x^(255-k). Then `low` holds the degrees
  // 255..128 (a polynomial L times x^128) and `high` the degrees 127..0.
  const __m128i low_carry = _mm_srli_epi64(low, 63);
  const __m128i high_carry = _mm_srli_epi64(high, 63);
  low = _mm_or_si128(_mm_slli_epi64(low, 1), _mm_slli_si128(low_carry, 8));
  high = _mm_or_si128(_mm_or_si128(_mm_slli_epi64(high, 1), _mm_slli_si128(high_carry, 8)),
                      _mm_srli_si128(low_carry, 8));
  // L * x^128 = L * (1 + x + x^2 + x^7). Multiplying by x^s is a right shift by s; the s lowest register
  // bits of L leave the register as degrees 128.. again: they are L's lowest 64-bit lane shifted left by
  // 64-s into the upper lane (`overflow`), and folding them once more cannot overflow (degree < 14).
  const __m128i low_lane_up = _mm_slli_si128(low, 8);
  const __m128i overflow = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(low_lane_up, 63), _mm_slli_epi64(low_lane_up, 62)),
                                         _mm_slli_epi64(low_lane_up, 57));
  const __m128i folded = _mm_xor_si128(low, overflow);
  return _mm_xor_si128(_mm_xor_si128(high, folded),
                       _mm_xor_si128(_mm_xor_si128(shift_right(folded, 1), shift_right(folded, 2)),
                                     shift_right(folded, 7)));
}

SHMSTREAM_CLMUL inline __m128i multiply(__m128i a, __m128i b) noexcept {
  __m128i low = _mm_setzero_si128();
  __m128i high = _mm_setzero_si128();
  multiply_add(a, b, low, high);
  return reduce(low, high);
}

SHMSTREAM_CLMUL inline __m128i load(const uint8_t* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

SHMSTREAM_CLMUL inline __m128i load_block(const uint8_t* data, const uint8_t* mask, size_t offset) noexcept {
  __m128i block = load(data + offset);
  if (mask != nullptr) block = _mm_xor_si128(block, load(mask + offset));
  return reflect(block);
}

}  // namespace

SHMSTREAM_CLMUL void make_hash_key(const uint8_t (&h)[16], HashKey& key) noexcept {
  const __m128i h1 = reflect(load(h));
  const __m128i h2 = multiply(h1, h1);
  const __m128i h3 = multiply(h2, h1);
  const __m128i h4 = multiply(h3, h1);
  _mm_store_si128(reinterpret_cast<__m128i*>(key.powers[0]), h1);
  _mm_store_si128(reinterpret_cast<__m128i*>(key.powers[1]), h2);
  _mm_store_si128(reinterpret_cast<__m128i*>(key.powers[2]), h3);
  _mm_store_si128(reinterpret_cast<__m128i*>(key.powers[3]), h4);
}

void reset(State& state) noexcept { std::memset(state.y, 0, sizeof state.y); }

SHMSTREAM_CLMUL void absorb(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask,
                            size_t length) noexcept {
  const auto power = [&key](int n) { return _mm_load_si128(reinterpret_cast<const __m128i*>(key.powers[n - 1])); };
  __m128i y = _mm_load_si128(reinterpret_cast<const __m128i*>(state.y));
  size_t offset = 0;
  if (length >= 64) {
    const __m128i h1 = power(1), h2 = power(2), h3 = power(3), h4 = power(4);
    // Y' = (Y + C1) H^4 + C2 H^3 + C3 H^2 + C4 H: one reduction per four blocks.
    for (; offset + 64 <= length; offset += 64) {
      __m128i low = _mm_setzero_si128();
      __m128i high = _mm_setzero_si128();
      multiply_add(_mm_xor_si128(y, load_block(data, mask, offset)), h4, low, high);
      multiply_add(load_block(data, mask, offset + 16), h3, low, high);
      multiply_add(load_block(data, mask, offset + 32), h2, low, high);
      multiply_add(load_block(data, mask, offset + 48), h1, low, high);
      y = reduce(low, high);
    }
  }
  const __m128i h1 = power(1);
  for (; offset + 16 <= length; offset += 16) y = multiply(_mm_xor_si128(y, load_block(data, mask, offset)), h1);
  if (offset < length) {
    alignas(16) uint8_t last[16] = {};
    const size_t rest = length - offset;
    std::memcpy(last, data + offset, rest);
    if (mask != nullptr) {
      for (size_t i = 0; i < rest; ++i) last[i] ^= mask[offset + i];
    }
    y = multiply(_mm_xor_si128(y, reflect(_mm_load_si128(reinterpret_cast<const __m128i*>(last)))), h1);
  }
  _mm_store_si128(reinterpret_cast<__m128i*>(state.y), y);
}

SHMSTREAM_CLMUL void finish(const HashKey& key, State& state, uint64_t aad_bytes, uint64_t text_bytes,
                            uint8_t (&out)[16]) noexcept {
  // The lengths block, reflected, is the register with len(A) in bits in its upper lane and len(C) in its lower.
  const __m128i lengths = _mm_set_epi64x(static_cast<long long>(aad_bytes * 8), static_cast<long long>(text_bytes * 8));
  __m128i y = _mm_load_si128(reinterpret_cast<const __m128i*>(state.y));
  y = multiply(_mm_xor_si128(y, lengths), _mm_load_si128(reinterpret_cast<const __m128i*>(key.powers[0])));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), reflect(y));
}

#else  // no carry-less multiply: FrameCipher keeps OpenSSL's GCM

bool cpu_has_carryless_multiply() noexcept { return false; }
void make_hash_key(const uint8_t (&)[16], HashKey&) noexcept {}
void reset(State&) noexcept {}
void absorb(const HashKey&, State&, const uint8_t*, const uint8_t*, size_t) noexcept {}
void finish(const HashKey&, State&, uint64_t, uint64_t, uint8_t (&)[16]) noexcept {}

#endif

}  // namespace shmstream::detail::ghash
