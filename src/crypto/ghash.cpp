#include "crypto/ghash.hpp"

#include <algorithm>
#include <cstring>

#include <openssl/crypto.h>

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and warn about it (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define SHMSTREAM_GHASH_X86 1
#define SHMSTREAM_CLMUL __attribute__((target("pclmul,ssse3")))
#define SHMSTREAM_WIDE_CLMUL __attribute__((target("pclmul,ssse3,avx2,bmi2,avx512f,avx512bw,vpclmulqdq")))
#endif

namespace shmstream::detail::ghash {

#if SHMSTREAM_GHASH_X86

bool cpu_has_carryless_multiply() noexcept {
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
}

Width widest_width() noexcept {
  const bool wide = __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx512f") &&
                    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx2") &&
                    __builtin_cpu_supports("bmi2");
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

// The constant of the reduction: in the register's upper 64 bits, x^-1 = x^127 + x^6 + x + 1 less its x^127
// term, which the reduction adds as a 64-bit lane move instead (see reduce()).
SHMSTREAM_CLMUL inline __m128i reduction_constant() noexcept {
  return _mm_set_epi64x(static_cast<long long>(0xc200000000000000), 0);
}

// The field element of the reflected product [high:low] of a block and a HashKey power (H^n x^-1, so that the
// product's register bit k is already the coefficient of x^(255-k): no shift by one). `low` holds the degrees
// 255..128, a polynomial L times x^128, and x^128 = x^7 + x^2 + x + 1 (mod the GCM polynomial): L is folded into
// the degrees below 128 in two 64-bit halves, each a carry-less multiply by reduction_constant() and the
// half moved one lane down (the folded terms of one half land in the next half, which is folded after it).
SHMSTREAM_CLMUL inline __m128i reduce(__m128i low, __m128i high) noexcept {
  const __m128i constant = reduction_constant();
  const __m128i once = _mm_xor_si128(_mm_shuffle_epi32(low, 0x4e), _mm_clmulepi64_si128(low, constant, 0x10));
  return _mm_xor_si128(high,
                       _mm_xor_si128(_mm_shuffle_epi32(once, 0x4e), _mm_clmulepi64_si128(once, constant, 0x10)));
}

// a b x (reduce() takes one factor as a HashKey power, which carries x^-1).
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

// Byte mask of a register's bytes [0, n), n clamped to 64.
SHMSTREAM_WIDE_CLMUL inline __mmask64 bytes_below(size_t n) noexcept {
  return _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(std::min<size_t>(n, 64)));
}

SHMSTREAM_WIDE_CLMUL inline size_t less_one_register(size_t n) noexcept { return n - std::min<size_t>(n, 64); }

// run_pass for the usual record, FrameCipher's (key stream and output given): the AAD, all of the text and the
// lengths block in one reduction from a fresh state, without the group loop and in 64-byte registers only. The
// AAD takes the first lanes of the first register and the text follows it, so each register's loads, key stream
// and stores are the text's shifted back by the AAD's bytes (masked to the text's bytes); the lengths block
// takes the lane after the text.
template <bool kHashResult>
SHMSTREAM_WIDE_CLMUL __m128i crypt_record_512(const HashKey& key, const CryptPass& pass) noexcept {
  const __m512i reverse = _mm512_set_epi64(0x0001020304050607, 0x08090a0b0c0d0e0f, 0x0001020304050607,
                                           0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f,
                                           0x0001020304050607, 0x08090a0b0c0d0e0f);  // reflect() per lane
  const size_t aad_blocks = (pass.aad_word_count + 1) / 2;
  const size_t lead = 16 * aad_blocks;  // the AAD's bytes before the text
  const size_t lengths_lane = aad_blocks + blocks_of(pass.length);  // the lengths block's, counted from the AAD's
  const size_t last_register = 64 * (lengths_lane / 4);
  // Addresses as if the AAD preceded text, key stream and output in memory: only text bytes go through them.
  const uintptr_t head_base = reinterpret_cast<uintptr_t>(pass.head) - lead;
  const uintptr_t tail_base = reinterpret_cast<uintptr_t>(pass.tail) - pass.head_length - lead;
  const uintptr_t stream_base = reinterpret_cast<uintptr_t>(pass.key_stream) - lead;
  const uintptr_t out_base = reinterpret_cast<uintptr_t>(pass.out) - lead;
  // Bytes from the register's start to the text's end and to the head's end.
  size_t to_end = lead + pass.length;
  size_t to_head_end = lead + pass.head_length;
  __mmask64 past_aad = ~bytes_below(lead);
  // The AAD words and lengths one by one from general registers: a caller's words were just stored, and a
  // wide load of narrower stores waits for them to reach the cache instead of taking them from the store buffer.
  const auto aad_word = [&pass](size_t i) {
    return i < pass.aad_word_count ? static_cast<long long>(pass.aad_words[i]) : 0;
  };
  __m512i hashed = _mm512_shuffle_epi8(
      _mm512_zextsi256_si512(_mm256_set_epi64x(aad_word(3), aad_word(2), aad_word(1), aad_word(0))), reverse);
  __m512i low = _mm512_setzero_si512();
  __m512i high = _mm512_setzero_si512();
  __m512i middle = _mm512_setzero_si512();
  const uint8_t* powers = key.powers[kBlocksPerReduction - (lengths_lane + 1)];
  for (size_t offset = 0;; offset += 64, powers += 64) {
    const __mmask64 present = bytes_below(to_end) & past_aad;
    const __mmask64 in_head = present & bytes_below(to_head_end);
    __m512i text = _mm512_maskz_loadu_epi8(in_head, reinterpret_cast<const void*>(head_base + offset));
    if (present != in_head) {
      text = _mm512_mask_loadu_epi8(text, present & ~in_head, reinterpret_cast<const void*>(tail_base + offset));
    }
    const __m512i result =
        _mm512_xor_si512(text, _mm512_maskz_loadu_epi8(present, reinterpret_cast<const void*>(stream_base + offset)));
    _mm512_mask_storeu_epi8(reinterpret_cast<void*>(out_base + offset), present, result);
    hashed = _mm512_xor_si512(hashed, _mm512_shuffle_epi8(kHashResult ? result : text, reverse));
    const bool last = offset == last_register;
    if (last) {  // the lane after the text, zero until now: len(C) in its low 64 bits, len(A) in its high
      const unsigned lane = 2 * (lengths_lane % 4);
      hashed = _mm512_mask_set1_epi64(hashed, static_cast<__mmask8>(1u << lane),
                                      static_cast<long long>(8 * pass.text_bytes));
      hashed = _mm512_mask_set1_epi64(hashed, static_cast<__mmask8>(2u << lane),
                                      static_cast<long long>(8 * pass.aad_bytes));
    }
    const __m512i factors = _mm512_loadu_si512(powers);
    low = _mm512_xor_si512(low, _mm512_clmulepi64_epi128(hashed, factors, 0x00));
    high = _mm512_xor_si512(high, _mm512_clmulepi64_epi128(hashed, factors, 0x11));
    middle = _mm512_ternarylogic_epi64(middle, _mm512_clmulepi64_epi128(hashed, factors, 0x01),
                                       _mm512_clmulepi64_epi128(hashed, factors, 0x10), 0x96);
    if (last) break;
    hashed = _mm512_setzero_si512();
    to_end = less_one_register(to_end);
    to_head_end = less_one_register(to_head_end);
    past_aad = ~__mmask64{0};
  }
  low = _mm512_xor_si512(low, _mm512_bslli_epi128(middle, 8));
  high = _mm512_xor_si512(high, _mm512_bsrli_epi128(middle, 8));
  // reduce() in each lane (it is linear), then the lanes summed: one sum instead of two.
  const __m512i constant = _mm512_broadcast_i32x4(reduction_constant());
  const __m512i once = _mm512_xor_si512(_mm512_shuffle_epi32(low, _MM_PERM_BADC),
                                        _mm512_clmulepi64_epi128(low, constant, 0x10));
  return sum_of_lanes(_mm512_ternarylogic_epi64(high, _mm512_shuffle_epi32(once, _MM_PERM_BADC),
                                                _mm512_clmulepi64_epi128(once, constant, 0x10), 0x96));
}

SHMSTREAM_WIDE_CLMUL __m128i crypt_512(const HashKey& key, __m128i y, const CryptPass& pass) noexcept {
  const size_t aad_blocks = (pass.aad_word_count + 1) / 2;
  if (pass.finish && aad_blocks != 0 && aad_blocks + blocks_of(pass.length) + 1 <= kBlocksPerReduction &&
      pass.key_stream != nullptr && pass.out != nullptr) {  // y is 0: the AAD comes first
    return pass.hash_result ? crypt_record_512<true>(key, pass) : crypt_record_512<false>(key, pass);
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
  // H x^-1: the register shifted left by one bit divides by x; H's x^0 term (bit 127) leaves the register
  // and comes back as x^-1 = x^127 + x^6 + x + 1 (bits 0, 121, 126 and 127).
  alignas(16) uint64_t lanes[2];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), reflect(load(h)));
  const bool x0 = (lanes[1] >> 63) != 0;
  lanes[1] = (lanes[1] << 1) | (lanes[0] >> 63);
  lanes[0] <<= 1;
  if (x0) {
    lanes[1] ^= 0xc200000000000000;
    lanes[0] ^= 1;
  }
  // multiply(a, b) is a b x, so multiply(H^n x^-1, H x^-1) = H^(n+1) x^-1.
  const __m128i g1 = _mm_load_si128(reinterpret_cast<const __m128i*>(lanes));
  __m128i gn = g1;
  for (size_t n = 1; n <= kBlocksPerReduction; ++n) {
    _mm_store_si128(reinterpret_cast<__m128i*>(key.powers[kBlocksPerReduction - n]), gn);
    gn = multiply(gn, g1);
  }
  OPENSSL_cleanse(lanes, sizeof lanes);
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
