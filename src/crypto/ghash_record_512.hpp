// GCM's one pass over a record (ghash.hpp's crypt() with AAD, finished, key stream and output given) on
// AVX-512 registers, inline, so that FrameCipher can seal or open a record in one function: counter blocks,
// the AES call, this pass and the tag, with no call or argument block between them. ghash.cpp's k512 width
// runs the same code. Callers need ghash::widest_width() == Width::k512 and ghash::fits_record_pass().
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "crypto/ghash.hpp"

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and warn about it (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#pragma GCC diagnostic pop
#define SHMSTREAM_GHASH_RECORD_512 1
#define SHMSTREAM_WIDE_CLMUL __attribute__((target("pclmul,ssse3,avx2,bmi2,avx512f,avx512bw,avx512vl,vpclmulqdq")))
#endif

namespace shmstream::detail::ghash {

#if SHMSTREAM_GHASH_RECORD_512
namespace record512 {

// reflect() in each 16-byte lane.
SHMSTREAM_WIDE_CLMUL inline __m512i reverse_lanes() noexcept {
  return _mm512_set_epi64(0x0001020304050607, 0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f,
                          0x0001020304050607, 0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f);
}

// Y from the register representation to block byte order.
SHMSTREAM_WIDE_CLMUL inline __m128i block_order(__m128i y) noexcept {
  return _mm_shuffle_epi8(y, _mm512_castsi512_si128(reverse_lanes()));
}

SHMSTREAM_WIDE_CLMUL inline __m128i sum_of_lanes(__m512i x) noexcept {
  x = _mm512_xor_si512(x, _mm512_shuffle_i64x2(x, x, 0x4e));  // lanes 0+2, 1+3, ...
  x = _mm512_xor_si512(x, _mm512_shuffle_i64x2(x, x, 0xb1));  // (0+2)+(1+3) in lane 0
  return _mm512_castsi512_si128(x);
}

// Byte mask of a register's bytes [0, n), n clamped to 64.
SHMSTREAM_WIDE_CLMUL inline __mmask64 bytes_below(size_t n) noexcept {
  return _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(std::min<size_t>(n, 64)));
}

SHMSTREAM_WIDE_CLMUL inline size_t less_one_register(size_t n) noexcept { return n - std::min<size_t>(n, 64); }

// The key stream's 16-byte lanes that hold present bytes, loaded one by one so that each is forwarded from
// the cipher's 16-byte store (a lane partly present is loaded masked: the caller's key stream may end with
// the text); zero lanes elsewhere.
SHMSTREAM_WIDE_CLMUL inline __m128i stream_lane(const __m128i* lanes, __mmask64 present, int i) noexcept {
  const auto bytes = static_cast<__mmask16>(present >> (16 * i));
  return bytes == 0xffff ? _mm_loadu_si128(lanes + i) : _mm_maskz_loadu_epi8(bytes, lanes + i);
}

SHMSTREAM_WIDE_CLMUL inline __m512i stream_lanes(uintptr_t at, __mmask64 present) noexcept {
  const auto* lanes = reinterpret_cast<const __m128i*>(at);
  __m512i stream = _mm512_setzero_si512();
  if ((present & 0xffff) != 0) stream = _mm512_zextsi128_si512(stream_lane(lanes, present, 0));
  if (((present >> 16) & 0xffff) != 0) stream = _mm512_inserti32x4(stream, stream_lane(lanes, present, 1), 1);
  if (((present >> 32) & 0xffff) != 0) stream = _mm512_inserti32x4(stream, stream_lane(lanes, present, 2), 2);
  if (((present >> 48) & 0xffff) != 0) stream = _mm512_inserti32x4(stream, stream_lane(lanes, present, 3), 3);
  return stream;
}

// [high:low] += the register's four blocks times the four powers at `powers`, unreduced; the two middle
// products are summed apart and folded into low and high once, after the last register.
SHMSTREAM_WIDE_CLMUL inline void multiply_accumulate(__m512i hashed, const uint8_t* powers, __m512i& low,
                                                     __m512i& high, __m512i& middle) noexcept {
  const __m512i factors = _mm512_loadu_si512(powers);
  low = _mm512_xor_si512(low, _mm512_clmulepi64_epi128(hashed, factors, 0x00));
  high = _mm512_xor_si512(high, _mm512_clmulepi64_epi128(hashed, factors, 0x11));
  middle = _mm512_ternarylogic_epi64(middle, _mm512_clmulepi64_epi128(hashed, factors, 0x01),
                                     _mm512_clmulepi64_epi128(hashed, factors, 0x10), 0x96);
}

// A short key stream is loaded lane by lane (above): the cipher has just written it with 16-byte stores, which
// a 64-byte load would wait for (measured: ~7 ns of ~30 for 64 B); a long one is mostly in the cache by the
// time its later registers load it.
inline constexpr size_t kShortText = 256;

}  // namespace record512

// The pass: out = text XOR key stream, and Y = GHASH(AAD, ciphertext) in the register representation (seal:
// kHashResult, the ciphertext is the result; open: the ciphertext is the text). The AAD takes the first lanes
// of the first register and the text follows it, so each register's loads, key stream and stores are the
// text's shifted back by the AAD's bytes (masked to the text's bytes); the lengths block takes the lane after
// the text. The powers carry x^-1 (ghash.hpp), so each lane's product needs no shift.
template <bool kHashResult>
[[gnu::always_inline]] SHMSTREAM_WIDE_CLMUL inline __m128i crypt_record_512(const HashKey& key,
                                                                            const CryptPass& pass) noexcept {
  using namespace record512;
  const __m512i reverse = reverse_lanes();
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
  const bool short_text = pass.length <= kShortText;
  // The AAD words one by one from general registers: a caller's words were just stored, and a wide load of
  // narrower stores waits for them to reach the cache instead of taking them from the store buffer.
  const auto aad_word = [&pass](size_t i) {
    return i < pass.aad_word_count ? static_cast<long long>(pass.aad_words[i]) : 0;
  };
  __m512i hashed = _mm512_shuffle_epi8(
      _mm512_zextsi256_si512(_mm256_set_epi64x(aad_word(3), aad_word(2), aad_word(1), aad_word(0))), reverse);
  __m512i low = _mm512_setzero_si512();
  __m512i high = _mm512_setzero_si512();
  __m512i middle = _mm512_setzero_si512();
  const uint8_t* powers = key.powers[kBlocksPerReduction - (lengths_lane + 1)];
  for (size_t offset = 0;;) {
    const __mmask64 present = bytes_below(to_end) & past_aad;
    const __mmask64 in_head = present & bytes_below(to_head_end);
    __m512i text = _mm512_maskz_loadu_epi8(in_head, reinterpret_cast<const void*>(head_base + offset));
    if (present != in_head) {
      text = _mm512_mask_loadu_epi8(text, present & ~in_head, reinterpret_cast<const void*>(tail_base + offset));
    }
    __m512i result;
    if (short_text) {
      result = _mm512_maskz_mov_epi8(present, _mm512_xor_si512(text, stream_lanes(stream_base + offset, present)));
    } else {
      result = _mm512_xor_si512(text,
                                _mm512_maskz_loadu_epi8(present, reinterpret_cast<const void*>(stream_base + offset)));
    }
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
    multiply_accumulate(hashed, powers, low, high, middle);
    if (last) break;
    hashed = _mm512_setzero_si512();
    to_end = less_one_register(to_end);
    to_head_end = less_one_register(to_head_end);
    past_aad = ~__mmask64{0};
    offset += 64;
    powers += 64;
    // Registers wholly inside the head or wholly inside the tail (never the last: the lengths block follows
    // the text): plain loads and stores, no masks.
    while (to_end >= 64 && (to_head_end == 0 || to_head_end >= 64)) {
      const uintptr_t text_base = to_head_end == 0 ? tail_base : head_base;
      const __m512i whole_text = _mm512_loadu_si512(reinterpret_cast<const void*>(text_base + offset));
      const __m512i stream = short_text ? stream_lanes(stream_base + offset, ~__mmask64{0})
                                        : _mm512_loadu_si512(reinterpret_cast<const void*>(stream_base + offset));
      const __m512i whole_result = _mm512_xor_si512(whole_text, stream);
      _mm512_storeu_si512(reinterpret_cast<void*>(out_base + offset), whole_result);
      multiply_accumulate(_mm512_shuffle_epi8(kHashResult ? whole_result : whole_text, reverse), powers, low, high,
                          middle);
      to_end -= 64;
      to_head_end = less_one_register(to_head_end);
      offset += 64;
      powers += 64;
    }
  }
  low = _mm512_xor_si512(low, _mm512_bslli_epi128(middle, 8));
  high = _mm512_xor_si512(high, _mm512_bsrli_epi128(middle, 8));
  // ghash.cpp's reduce() in each lane (it is linear), then the lanes summed: one sum instead of two.
  const __m512i constant = _mm512_broadcast_i32x4(_mm_set_epi64x(static_cast<long long>(kReductionConstant), 0));
  const __m512i once = _mm512_xor_si512(_mm512_shuffle_epi32(low, _MM_PERM_BADC),
                                        _mm512_clmulepi64_epi128(low, constant, 0x10));
  return sum_of_lanes(_mm512_ternarylogic_epi64(high, _mm512_shuffle_epi32(once, _MM_PERM_BADC),
                                                _mm512_clmulepi64_epi128(once, constant, 0x10), 0x96));
}
#endif

}  // namespace shmstream::detail::ghash
