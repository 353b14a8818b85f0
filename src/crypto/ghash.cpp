#include "crypto/ghash.hpp"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and warn about it (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define SHMSTREAM_GHASH_X86 1
#define SHMSTREAM_CLMUL __attribute__((target("pclmul,ssse3")))
#define SHMSTREAM_WIDE_CLMUL __attribute__((target("pclmul,ssse3,avx2,avx512f,avx512bw,vpclmulqdq")))
#endif

namespace shmstream::detail::ghash {

#if SHMSTREAM_GHASH_X86

bool cpu_has_carryless_multiply() noexcept {
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
}

Width widest_width() noexcept {
  const bool wide = __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx512f") &&
                    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx2");
  return wide && cpu_has_carryless_multiply() ? Width::k512 : Width::k128;
}

namespace {

constexpr size_t kGroupBytes = 16 * kBlocksPerReduction;
constexpr size_t kOnePower = kBlocksPerReduction - 1;  // the index of H^1 in HashKey::powers

SHMSTREAM_CLMUL inline __m128i reverse_bytes_mask() noexcept {
  return _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

SHMSTREAM_CLMUL inline __m128i reflect(__m128i block) noexcept { return _mm_shuffle_epi8(block, reverse_bytes_mask()); }

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

SHMSTREAM_CLMUL inline __m128i power(const HashKey& key, size_t index) noexcept {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(key.powers[index]));
}

// The lengths block, reflected: len(A) in bits in the upper lane, len(C) in the lower.
inline __m128i lengths_block(uint64_t aad_bytes, uint64_t text_bytes) noexcept {
  return _mm_set_epi64x(static_cast<long long>(aad_bytes * 8), static_cast<long long>(text_bytes * 8));
}

// One group, 128-bit: the `bytes` (<= kGroupBytes) of data (XOR mask), zero-padded to whole blocks, block i
// times powers[first_power + i], Y added to the first block; then `last` (when non-null) times H. Reduced once.
SHMSTREAM_CLMUL __m128i fold_128(const HashKey& key, __m128i y, const uint8_t* data, const uint8_t* mask,
                                 size_t bytes, size_t first_power, const __m128i* last) noexcept {
  __m128i low = _mm_setzero_si128();
  __m128i high = _mm_setzero_si128();
  __m128i carry = y;
  size_t p = first_power;
  size_t at = 0;
  for (; at + 16 <= bytes; at += 16, ++p) {
    __m128i block = load(data + at);
    if (mask != nullptr) block = _mm_xor_si128(block, load(mask + at));
    multiply_add(_mm_xor_si128(carry, reflect(block)), power(key, p), low, high);
    carry = _mm_setzero_si128();
  }
  if (at < bytes) {
    alignas(16) uint8_t padded[16] = {};
    const size_t rest = bytes - at;
    std::memcpy(padded, data + at, rest);
    if (mask != nullptr) {
      for (size_t i = 0; i < rest; ++i) padded[i] ^= mask[at + i];
    }
    multiply_add(_mm_xor_si128(carry, reflect(_mm_load_si128(reinterpret_cast<const __m128i*>(padded)))),
                 power(key, p), low, high);
    carry = _mm_setzero_si128();
  }
  if (last != nullptr) multiply_add(_mm_xor_si128(carry, *last), power(key, kOnePower), low, high);
  return reduce(low, high);
}

SHMSTREAM_WIDE_CLMUL inline __m128i sum_of_lanes(__m512i x) noexcept {
  x = _mm512_xor_si512(x, _mm512_shuffle_i64x2(x, x, 0x4e));  // lanes 0+2, 1+3, ...
  x = _mm512_xor_si512(x, _mm512_shuffle_i64x2(x, x, 0xb1));  // (0+2)+(1+3) in lane 0
  return _mm512_castsi512_si128(x);
}

// fold_128 four blocks per multiply: a 64-byte load masked to the bytes left (the masked-off bytes are
// neither read nor faulted on, and read as zero: the padding of the partial block comes free).
SHMSTREAM_WIDE_CLMUL __m128i fold_512(const HashKey& key, __m128i y, const uint8_t* data, const uint8_t* mask,
                                      size_t bytes, size_t first_power, const __m128i* last) noexcept {
  const __m512i reverse = _mm512_set_epi64(0x0001020304050607, 0x08090a0b0c0d0e0f, 0x0001020304050607,
                                           0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f,
                                           0x0001020304050607, 0x08090a0b0c0d0e0f);  // reflect() per lane
  __m512i low = _mm512_setzero_si512();
  __m512i high = _mm512_setzero_si512();
  __m512i middle = _mm512_setzero_si512();
  __m512i carry = _mm512_zextsi128_si512(y);
  for (size_t at = 0, p = first_power; at < bytes; at += 64, p += 4) {
    const size_t left = bytes - at;
    const __mmask64 present = left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
    __m512i blocks = _mm512_maskz_loadu_epi8(present, data + at);
    if (mask != nullptr) blocks = _mm512_xor_si512(blocks, _mm512_maskz_loadu_epi8(present, mask + at));
    blocks = _mm512_xor_si512(carry, _mm512_shuffle_epi8(blocks, reverse));
    carry = _mm512_setzero_si512();
    const __m512i powers = _mm512_loadu_si512(key.powers[p]);
    low = _mm512_xor_si512(low, _mm512_clmulepi64_epi128(blocks, powers, 0x00));
    high = _mm512_xor_si512(high, _mm512_clmulepi64_epi128(blocks, powers, 0x11));
    middle = _mm512_xor_si512(middle, _mm512_xor_si512(_mm512_clmulepi64_epi128(blocks, powers, 0x01),
                                                       _mm512_clmulepi64_epi128(blocks, powers, 0x10)));
  }
  const __m128i middle_sum = sum_of_lanes(middle);
  __m128i low_sum = _mm_xor_si128(sum_of_lanes(low), _mm_slli_si128(middle_sum, 8));
  __m128i high_sum = _mm_xor_si128(sum_of_lanes(high), _mm_srli_si128(middle_sum, 8));
  if (last != nullptr) {
    multiply_add(_mm_xor_si128(_mm512_castsi512_si128(carry), *last), power(key, kOnePower), low_sum, high_sum);
  }
  return reduce(low_sum, high_sum);
}

size_t blocks_of(size_t bytes) noexcept { return (bytes + 15) / 16; }

// Groups of kBlocksPerReduction blocks, the last one shorter (its powers the highest-numbered entries).
template <typename Fold>
inline __m128i absorb_groups(const HashKey& key, __m128i y, const uint8_t* data, const uint8_t* mask,
                             size_t length, Fold fold) noexcept {
  for (; length > 0;) {
    const size_t bytes = std::min(length, kGroupBytes);
    y = fold(key, y, data, mask, bytes, kBlocksPerReduction - blocks_of(bytes), nullptr);
    data += bytes;
    if (mask != nullptr) mask += bytes;
    length -= bytes;
  }
  return y;
}

// The same, then the lengths block in the last group (which therefore holds at most 15 text blocks).
template <typename Fold>
inline __m128i absorb_groups_and_lengths(const HashKey& key, __m128i y, const uint8_t* data, const uint8_t* mask,
                                         size_t length, __m128i lengths, Fold fold) noexcept {
  for (; length > kGroupBytes - 16;) {
    const size_t bytes = std::min(length, kGroupBytes);
    y = fold(key, y, data, mask, bytes, kBlocksPerReduction - blocks_of(bytes), nullptr);
    data += bytes;
    if (mask != nullptr) mask += bytes;
    length -= bytes;
  }
  return fold(key, y, data, mask, length, kOnePower - blocks_of(length), &lengths);
}

SHMSTREAM_CLMUL inline __m128i load_state(const State& state) noexcept {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(state.y));
}

SHMSTREAM_CLMUL inline void store_state(State& state, __m128i y) noexcept {
  _mm_store_si128(reinterpret_cast<__m128i*>(state.y), y);
}

}  // namespace

SHMSTREAM_CLMUL void make_hash_key(const uint8_t (&h)[16], HashKey& key, Width width) noexcept {
  std::memset(&key, 0, sizeof key);
  key.width = width;
  const __m128i h1 = reflect(load(h));
  __m128i hn = h1;
  for (size_t n = 1; n <= kBlocksPerReduction; ++n) {
    _mm_store_si128(reinterpret_cast<__m128i*>(key.powers[kBlocksPerReduction - n]), hn);
    hn = multiply(hn, h1);
  }
}

void reset(State& state) noexcept { std::memset(state.y, 0, sizeof state.y); }

SHMSTREAM_CLMUL void absorb(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask,
                            size_t length) noexcept {
  const __m128i y = load_state(state);
  store_state(state, key.width == Width::k512 ? absorb_groups(key, y, data, mask, length, fold_512)
                                              : absorb_groups(key, y, data, mask, length, fold_128));
}

SHMSTREAM_CLMUL void absorb_and_finish(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask,
                                       size_t length, uint64_t aad_bytes, uint64_t text_bytes,
                                       uint8_t (&out)[16]) noexcept {
  const __m128i y = load_state(state);
  const __m128i lengths = lengths_block(aad_bytes, text_bytes);
  const __m128i hash = key.width == Width::k512
                           ? absorb_groups_and_lengths(key, y, data, mask, length, lengths, fold_512)
                           : absorb_groups_and_lengths(key, y, data, mask, length, lengths, fold_128);
  store_state(state, hash);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), reflect(hash));
}

void finish(const HashKey& key, State& state, uint64_t aad_bytes, uint64_t text_bytes, uint8_t (&out)[16]) noexcept {
  absorb_and_finish(key, state, nullptr, nullptr, 0, aad_bytes, text_bytes, out);
}

#else  // no carry-less multiply: FrameCipher keeps OpenSSL's GCM

bool cpu_has_carryless_multiply() noexcept { return false; }
Width widest_width() noexcept { return Width::k128; }
void make_hash_key(const uint8_t (&)[16], HashKey&, Width) noexcept {}
void reset(State&) noexcept {}
void absorb(const HashKey&, State&, const uint8_t*, const uint8_t*, size_t) noexcept {}
void finish(const HashKey&, State&, uint64_t, uint64_t, uint8_t (&)[16]) noexcept {}
void absorb_and_finish(const HashKey&, State&, const uint8_t*, const uint8_t*, size_t, uint64_t, uint64_t,
                       uint8_t (&)[16]) noexcept {}

#endif

}  // namespace shmstream::detail::ghash
