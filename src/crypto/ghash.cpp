#include "crypto/ghash.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "crypto/ghash_record_512.hpp"  // immintrin.h and SHMSTREAM_WIDE_CLMUL on x86

#if SHMSTREAM_GHASH_RECORD_512
#define SHMSTREAM_GHASH_X86 1
#define SHMSTREAM_CLMUL __attribute__((target("pclmul,ssse3")))
#endif

namespace shmstream::detail::ghash {

#if SHMSTREAM_GHASH_X86

bool cpu_has_carryless_multiply() noexcept {
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
}

Width widest_width() noexcept {
  const bool wide = __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx512f") &&
                    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                    __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
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

// The field element of the reflected product [high:low] of a block and a HashKey power (H^n x^-1, so that the
// product's register bit k is already the coefficient of x^(255-k): no shift by one). `low` holds the degrees
// 255..128, a polynomial L times x^128, and x^128 = x^7 + x^2 + x + 1 (mod the GCM polynomial): L is folded into
// the degrees below 128 in two 64-bit halves, each a carry-less multiply by kReductionConstant and the
// half moved one lane down (the folded terms of one half land in the next half, which is folded after it).
SHMSTREAM_CLMUL inline __m128i reduce(__m128i low, __m128i high) noexcept {
  const __m128i constant = _mm_set_epi64x(static_cast<long long>(kReductionConstant), 0);
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

// crypt_group_128 four blocks per multiply, through 64-byte loads and stores masked to the bytes in place
// (masked-off bytes are neither read nor written nor faulted on, and read as zero: the padding of the
// partial block and the seam between head and tail come free).
SHMSTREAM_WIDE_CLMUL inline void crypt_group_512(const HashKey& key, __m128i y, const Cursor& at, size_t bytes,
                                          size_t first_power, Sum& sum) noexcept {
  const __m512i reverse = record512::reverse_lanes();
  __m512i low = _mm512_setzero_si512();
  __m512i high = _mm512_setzero_si512();
  __m512i middle = _mm512_setzero_si512();
  __m512i carry = _mm512_zextsi128_si512(y);
  // The tail as if it followed the head in memory; only bytes at or after the seam are loaded through it.
  const auto tail_base = reinterpret_cast<uintptr_t>(at.tail) - at.head_length;
  for (size_t offset = 0, p = first_power; offset < bytes; offset += 64, p += 4) {
    const __mmask64 present = record512::bytes_below(bytes - offset);
    const __mmask64 in_head = offset < at.head_length ? record512::bytes_below(at.head_length - offset) : 0;
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
    record512::multiply_accumulate(hashed, key.powers[p], low, high, middle);
  }
  const __m128i middle_sum = record512::sum_of_lanes(middle);
  sum.low = _mm_xor_si128(sum.low, _mm_xor_si128(record512::sum_of_lanes(low), _mm_slli_si128(middle_sum, 8)));
  sum.high = _mm_xor_si128(sum.high, _mm_xor_si128(record512::sum_of_lanes(high), _mm_srli_si128(middle_sum, 8)));
}

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

SHMSTREAM_WIDE_CLMUL __m128i crypt_512(const HashKey& key, __m128i y, const CryptPass& pass) noexcept {
  if (pass.finish && fits_record_pass(pass.aad_word_count, pass.length) && pass.key_stream != nullptr &&
      pass.out != nullptr) {  // y is 0: the AAD comes first
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
  // and comes back as x^-1 = x^127 + x^6 + x + 1 (bit 0, and bits 121, 126 and 127: kReductionConstant).
  alignas(16) uint64_t lanes[2];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), reflect(load(h)));
  const bool x0 = (lanes[1] >> 63) != 0;
  lanes[1] = (lanes[1] << 1) | (lanes[0] >> 63);
  lanes[0] <<= 1;
  if (x0) {
    lanes[1] ^= kReductionConstant;
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
