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

// The unreduced sum of a group's products.
struct Sum {
  __m128i low;
  __m128i high;
};

// Where a pass's bytes come from and go to (see CryptPass), advanced group by group.
struct Cursor {
  const uint8_t* head;
  size_t head_length;
  const uint8_t* tail;
  const uint8_t* key_stream;  // may be null: zeros
  uint8_t* out;               // may be null: nothing stored
  bool hash_result;           // absorb text XOR key stream (else the text)
  void advance(size_t bytes) noexcept {
    if (bytes <= head_length) {
      head += bytes;
      head_length -= bytes;
    } else {
      tail += bytes - head_length;
      head += head_length;
      head_length = 0;
    }
    if (key_stream != nullptr) key_stream += bytes;
    if (out != nullptr) out += bytes;
  }
};

// 128-bit: the `bytes` (<= kGroupBytes) of the cursor's text, XOR its key stream, zero-padded to whole blocks;
// result stored, and block i (text or result) times powers[first_power + i] added to `sum`, Y to block 0.
SHMSTREAM_CLMUL inline void crypt_group_128(const HashKey& key, __m128i y, const Cursor& at, size_t bytes,
                                     size_t first_power, Sum& sum) noexcept {
  for (size_t offset = 0, p = first_power; offset < bytes; offset += 16, ++p) {
    const size_t n = std::min<size_t>(16, bytes - offset);
    __m128i text;
    if (n == 16 && offset + 16 <= at.head_length) {
      text = load(at.head + offset);
    } else if (n == 16 && offset >= at.head_length) {
      text = load(at.tail + (offset - at.head_length));
    } else {  // straddles head and tail, or the partial last block
      alignas(16) uint8_t gathered[16] = {};
      const size_t from_head = offset < at.head_length ? std::min(n, at.head_length - offset) : 0;
      std::memcpy(gathered, at.head + offset, from_head);
      std::memcpy(gathered + from_head, at.tail + (offset + from_head - at.head_length), n - from_head);
      text = _mm_load_si128(reinterpret_cast<const __m128i*>(gathered));
    }
    __m128i result = text;
    if (at.key_stream != nullptr) {
      __m128i stream = n == 16 ? load(at.key_stream + offset) : _mm_setzero_si128();
      if (n != 16) {
        alignas(16) uint8_t padded[16] = {};
        std::memcpy(padded, at.key_stream + offset, n);
        stream = _mm_load_si128(reinterpret_cast<const __m128i*>(padded));
      }
      result = _mm_xor_si128(text, stream);
    }
    if (at.out != nullptr) {
      if (n == 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(at.out + offset), result);
      } else {
        alignas(16) uint8_t partial[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(partial), result);
        std::memcpy(at.out + offset, partial, n);
      }
    }
    const __m128i hashed = at.hash_result ? result : text;  // zero beyond n either way
    multiply_add(_mm_xor_si128(y, reflect(hashed)), power(key, p), sum.low, sum.high);
    y = _mm_setzero_si128();
  }
}

SHMSTREAM_WIDE_CLMUL inline __m128i sum_of_lanes(__m512i x) noexcept {
  x = _mm512_xor_si512(x, _mm512_shuffle_i64x2(x, x, 0x4e));  // lanes 0+2, 1+3, ...
  x = _mm512_xor_si512(x, _mm512_shuffle_i64x2(x, x, 0xb1));  // (0+2)+(1+3) in lane 0
  return _mm512_castsi512_si128(x);
}

SHMSTREAM_WIDE_CLMUL inline __mmask64 first_bytes(size_t n) noexcept {
  return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1;
}

// crypt_group_128 four blocks per multiply, through 64-byte loads and stores masked to the bytes in place
// (masked-off bytes are neither read nor written nor faulted on, and read as zero: the padding of the
// partial block and the seam between head and tail come free).
SHMSTREAM_WIDE_CLMUL inline void crypt_group_512(const HashKey& key, __m128i y, const Cursor& at, size_t bytes,
                                          size_t first_power, Sum& sum) noexcept {
  const __m512i reverse = _mm512_set_epi64(0x0001020304050607, 0x08090a0b0c0d0e0f, 0x0001020304050607,
                                           0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f,
                                           0x0001020304050607, 0x08090a0b0c0d0e0f);  // reflect() per lane
  __m512i low = _mm512_setzero_si512();
  __m512i high = _mm512_setzero_si512();
  __m512i middle = _mm512_setzero_si512();
  __m512i carry = _mm512_zextsi128_si512(y);
  // The tail as if it followed the head in memory; only bytes at or after the seam are loaded through it.
  const auto tail_base = reinterpret_cast<uintptr_t>(at.tail) - at.head_length;
  for (size_t offset = 0, p = first_power; offset < bytes; offset += 64, p += 4) {
    const __mmask64 present = first_bytes(bytes - offset);
    const __mmask64 in_head = offset < at.head_length ? first_bytes(at.head_length - offset) : 0;
    __m512i text = _mm512_maskz_loadu_epi8(present & in_head, at.head + offset);
    if ((present & ~in_head) != 0) {
      text = _mm512_mask_loadu_epi8(text, present & ~in_head, reinterpret_cast<const void*>(tail_base + offset));
    }
    __m512i result = text;
    if (at.key_stream != nullptr) {
      result = _mm512_xor_si512(text, _mm512_maskz_loadu_epi8(present, at.key_stream + offset));
    }
    if (at.out != nullptr) _mm512_mask_storeu_epi8(at.out + offset, present, result);
    const __m512i hashed = _mm512_xor_si512(carry, _mm512_shuffle_epi8(at.hash_result ? result : text, reverse));
    carry = _mm512_setzero_si512();
    const __m512i powers = _mm512_loadu_si512(key.powers[p]);
    low = _mm512_xor_si512(low, _mm512_clmulepi64_epi128(hashed, powers, 0x00));
    high = _mm512_xor_si512(high, _mm512_clmulepi64_epi128(hashed, powers, 0x11));
    middle = _mm512_xor_si512(middle, _mm512_xor_si512(_mm512_clmulepi64_epi128(hashed, powers, 0x01),
                                                       _mm512_clmulepi64_epi128(hashed, powers, 0x10)));
  }
  const __m128i middle_sum = sum_of_lanes(middle);
  sum.low = _mm_xor_si128(sum.low, _mm_xor_si128(sum_of_lanes(low), _mm_slli_si128(middle_sum, 8)));
  sum.high = _mm_xor_si128(sum.high, _mm_xor_si128(sum_of_lanes(high), _mm_srli_si128(middle_sum, 8)));
}

size_t blocks_of(size_t bytes) noexcept { return (bytes + 15) / 16; }

// The pass in groups of at most kBlocksPerReduction blocks: the AAD blocks (first group), text blocks, the
// lengths block (last group, when finishing); each group's powers are the last entries of HashKey::powers.
using CryptGroup = void (*)(const HashKey&, __m128i, const Cursor&, size_t, size_t, Sum&) noexcept;

// Inlined into each width's entry, so that the width's group is inlined too and the whole pass is encoded
// for that width (no SSE instruction between AVX-512 ones).
template <CryptGroup crypt_group>
SHMSTREAM_CLMUL __attribute__((always_inline)) inline __m128i run_pass(const HashKey& key, __m128i y,
                                                                       const CryptPass& pass) noexcept {
  __m128i aad[2];
  size_t aad_blocks = (pass.aad_word_count + 1) / 2;
  for (size_t i = 0; i < aad_blocks; ++i) {
    const uint64_t second = 2 * i + 1 < pass.aad_word_count ? pass.aad_words[2 * i + 1] : 0;
    aad[i] = reflect(_mm_set_epi64x(static_cast<long long>(second), static_cast<long long>(pass.aad_words[2 * i])));
  }
  Cursor at{pass.head, pass.head_length, pass.tail, pass.key_stream, pass.out, pass.hash_result};
  size_t left = pass.length;
  for (;;) {
    const size_t room = kBlocksPerReduction - aad_blocks;
    const bool last = pass.finish ? blocks_of(left) + 1 <= room : left <= 16 * room;
    const size_t bytes = last ? left : std::min(left, 16 * room);
    const size_t count = aad_blocks + blocks_of(bytes) + (last && pass.finish ? 1 : 0);
    if (count == 0) return y;  // nothing to absorb
    size_t p = kBlocksPerReduction - count;
    Sum sum{_mm_setzero_si128(), _mm_setzero_si128()};
    for (size_t i = 0; i < aad_blocks; ++i, ++p) {
      multiply_add(_mm_xor_si128(y, aad[i]), power(key, p), sum.low, sum.high);
      y = _mm_setzero_si128();
    }
    if (bytes != 0) {
      crypt_group(key, y, at, bytes, p, sum);
      y = _mm_setzero_si128();
      if (!last) {
        at.advance(bytes);
        left -= bytes;
      }
    }
    if (last && pass.finish) {
      multiply_add(_mm_xor_si128(y, lengths_block(pass.aad_bytes, pass.text_bytes)), power(key, kOnePower), sum.low,
                   sum.high);
    }
    y = reduce(sum.low, sum.high);
    if (last) return y;
    aad_blocks = 0;
  }
}

SHMSTREAM_CLMUL __m128i crypt_128(const HashKey& key, __m128i y, const CryptPass& pass) noexcept {
  return run_pass<crypt_group_128>(key, y, pass);
}

// run_pass for the usual record: the AAD, all of the text and the lengths block in one group from a fresh
// state, without the group loop.
SHMSTREAM_WIDE_CLMUL __m128i crypt_record_512(const HashKey& key, const CryptPass& pass) noexcept {
  const size_t aad_blocks = (pass.aad_word_count + 1) / 2;
  size_t p = kBlocksPerReduction - (aad_blocks + blocks_of(pass.length) + 1);
  Sum sum{_mm_setzero_si128(), _mm_setzero_si128()};
  for (size_t i = 0; i < aad_blocks; ++i, ++p) {
    const uint64_t second = 2 * i + 1 < pass.aad_word_count ? pass.aad_words[2 * i + 1] : 0;
    const __m128i block =
        reflect(_mm_set_epi64x(static_cast<long long>(second), static_cast<long long>(pass.aad_words[2 * i])));
    multiply_add(block, power(key, p), sum.low, sum.high);
  }
  multiply_add(lengths_block(pass.aad_bytes, pass.text_bytes), power(key, kOnePower), sum.low, sum.high);
  const Cursor at{pass.head, pass.head_length, pass.tail, pass.key_stream, pass.out, pass.hash_result};
  crypt_group_512(key, _mm_setzero_si128(), at, pass.length, p, sum);
  return reduce(sum.low, sum.high);
}

SHMSTREAM_WIDE_CLMUL __m128i crypt_512(const HashKey& key, __m128i y, const CryptPass& pass) noexcept {
  const size_t aad_blocks = (pass.aad_word_count + 1) / 2;
  if (pass.finish && aad_blocks != 0 && aad_blocks + blocks_of(pass.length) + 1 <= kBlocksPerReduction) {
    return crypt_record_512(key, pass);  // y is 0: the AAD comes first
  }
  return run_pass<crypt_group_512>(key, y, pass);
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

SHMSTREAM_CLMUL void crypt(const HashKey& key, State& state, const CryptPass& pass, uint8_t (&hash)[16]) noexcept {
  __m128i y = load_state(state);
  y = key.width == Width::k512 ? crypt_512(key, y, pass) : crypt_128(key, y, pass);
  store_state(state, y);
  if (pass.finish) _mm_storeu_si128(reinterpret_cast<__m128i*>(hash), reflect(y));
}

void absorb(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask, size_t length) noexcept {
  CryptPass pass;
  pass.head = data;
  pass.head_length = length;
  pass.length = length;
  pass.key_stream = mask;
  uint8_t unused[16];
  crypt(key, state, pass, unused);
}

void absorb_and_finish(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask, size_t length,
                       uint64_t aad_bytes, uint64_t text_bytes, uint8_t (&out)[16]) noexcept {
  CryptPass pass;
  pass.head = data;
  pass.head_length = length;
  pass.length = length;
  pass.key_stream = mask;
  pass.finish = true;
  pass.aad_bytes = aad_bytes;
  pass.text_bytes = text_bytes;
  crypt(key, state, pass, out);
}

void finish(const HashKey& key, State& state, uint64_t aad_bytes, uint64_t text_bytes, uint8_t (&out)[16]) noexcept {
  absorb_and_finish(key, state, nullptr, nullptr, 0, aad_bytes, text_bytes, out);
}

#else  // no carry-less multiply: FrameCipher keeps OpenSSL's GCM

bool cpu_has_carryless_multiply() noexcept { return false; }
Width widest_width() noexcept { return Width::k128; }
void make_hash_key(const uint8_t (&)[16], HashKey&, Width) noexcept {}
void absorb(const HashKey&, State&, const uint8_t*, const uint8_t*, size_t) noexcept {}
void finish(const HashKey&, State&, uint64_t, uint64_t, uint8_t (&)[16]) noexcept {}
void absorb_and_finish(const HashKey&, State&, const uint8_t*, const uint8_t*, size_t, uint64_t, uint64_t,
                       uint8_t (&)[16]) noexcept {}
void crypt(const HashKey&, State&, const CryptPass&, uint8_t (&)[16]) noexcept {}

#endif

}  // namespace shmstream::detail::ghash
