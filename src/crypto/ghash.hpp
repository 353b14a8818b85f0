// GHASH of AES-GCM (NIST SP 800-38D §6.4) on the carry-less multiply instruction, for FrameCipher's composed
// GCM: OpenSSL's EVP GCM costs ~200 ns of fixed overhead per record (nonce set-up and tag read through the
// provider), several times a whole plain put, so records take the AES-CTR key stream from one EVP AES-256-ECB
// call over the counter blocks and the tag from this GHASH. Where the CPU lacks PCLMULQDQ, FrameCipher keeps
// OpenSSL's GCM (cpu_has_carryless_multiply() false).
//
// Aggregated reduction: Y' = (Y + X1) H^n + X2 H^(n-1) + ... + Xn H for up to 128 blocks at a time, the
// products summed unreduced and reduced once (a record of up to 2000 B with its AAD and lengths block: one
// reduction).
// crypt() makes GCM's CTR XOR and the GHASH of its ciphertext one pass: each block is loaded once, XORed,
// stored and multiplied from the register (a second pass would reload what it just stored, and a wide load of
// narrower stores cannot be forwarded from the store buffer: it waits until they reach the cache).
// Two widths compute the same values:
//  - k128: PCLMULQDQ on 128-bit registers, one block per multiply;
//  - k512: VPCLMULQDQ on AVX-512 registers (CPUs with vpclmulqdq, avx512f/bw/vl, bmi2), four blocks per
//    multiply and byte-masked loads and stores for the partial block at the end; a record (AAD, text, lengths
//    block) goes through 64-byte registers only, the AAD in the first lanes of the first one.
//
// Representation: a block is held byte-reversed in a 128-bit register, so that register bit i is the
// coefficient of x^(127-i) of the field element (SP 800-38D numbers bits from the left of byte 0). The
// carry-less product of two such registers is the product polynomial, reflected, one bit short of 256. The
// hash key's powers are stored times x^-1, which makes that product's register bit k the coefficient of
// x^(255-k) of the wanted product; its upper 128 degrees are then folded with x^128 = x^7 + x^2 + x + 1 by two
// carry-less multiplies (the same scheme as OpenSSL's and Intel's published GCM code, written here from the
// algebra).
#pragma once

#include <cstddef>
#include <cstdint>

namespace shmstream::detail::ghash {

bool cpu_has_carryless_multiply() noexcept;

enum class Width : uint8_t { k128, k512 };
// k512 where the CPU has it, else k128 (needs cpu_has_carryless_multiply()).
Width widest_width() noexcept;

inline constexpr size_t kBlocksPerReduction = 128;
// In a register's upper 64 bits, the carry-less factor of the reduction: x^-1 = x^127 + x^6 + x + 1 less its
// x^127 term, which the reduction adds as a 64-bit lane move instead.
inline constexpr uint64_t kReductionConstant = 0xc200000000000000;

inline constexpr size_t blocks_of(size_t bytes) noexcept { return (bytes + 15) / 16; }

// A record whose AAD (at most 4 words), text and lengths block make one reduction: crypt() takes it in one
// pass, and on AVX-512 crypt_record_512 (ghash_record_512.hpp) alone.
inline constexpr bool fits_record_pass(size_t aad_word_count, size_t length) noexcept {
  return aad_word_count != 0 && aad_word_count <= 4 &&
         (aad_word_count + 1) / 2 + blocks_of(length) + 1 <= kBlocksPerReduction;
}

// H^128 x^-1 .. H x^-1 (H = AES_K(0^128)) in the register representation, highest power first, so that the
// last n entries are the powers of an n-block group in block order; three zero entries after them keep the
// 4-block loads of a short group inside the array.
struct HashKey {
  alignas(64) uint8_t powers[kBlocksPerReduction + 4][16];
  Width width;
};
// The running GHASH value Y, in the register representation.
struct State {
  alignas(16) uint8_t y[16];
};

// All below need cpu_has_carryless_multiply(); `width` k512 also needs widest_width() == k512.
// h: AES_K(0^128) as the cipher wrote it.
void make_hash_key(const uint8_t (&h)[16], HashKey& key, Width width) noexcept;
inline void make_hash_key(const uint8_t (&h)[16], HashKey& key) noexcept { make_hash_key(h, key, widest_width()); }
inline void reset(State& state) noexcept {
  for (uint8_t& byte : state.y) byte = 0;
}
// Absorbs `length` bytes (data XOR mask when mask is non-null), the last partial block padded with zeros
// (so call it once per AAD and once per ciphertext, or with whole blocks in between).
void absorb(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask, size_t length) noexcept;
// Absorbs the lengths block (bit lengths of AAD and ciphertext) and writes GHASH in block byte order.
void finish(const HashKey& key, State& state, uint64_t aad_bytes, uint64_t text_bytes, uint8_t (&out)[16]) noexcept;
// absorb(data, mask, length) then finish(aad_bytes, text_bytes), the lengths block reduced together with the
// last text blocks (one reduction fewer).
void absorb_and_finish(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask, size_t length,
                       uint64_t aad_bytes, uint64_t text_bytes, uint8_t (&out)[16]) noexcept;

// One pass over `length` bytes of text = head[0, head_length) || tail[0, length - head_length):
// result = text XOR key stream (key_stream null: the text itself), stored to `out` unless null, and absorbed
// (hash_result) or the text absorbed instead (GCM's open hashes its input, seal its output). The AAD, given
// as at most 4 little-endian 64-bit words, is absorbed first (from a reset state); with `finish`, the lengths
// block last, and GHASH written to `hash`. `out` may not overlap the text or the key stream.
struct CryptPass {
  const uint8_t* head = nullptr;
  size_t head_length = 0;
  const uint8_t* tail = nullptr;
  size_t length = 0;
  const uint8_t* key_stream = nullptr;
  uint8_t* out = nullptr;
  bool hash_result = true;
  const uint64_t* aad_words = nullptr;
  size_t aad_word_count = 0;
  bool finish = false;
  uint64_t aad_bytes = 0;
  uint64_t text_bytes = 0;
};
void crypt(const HashKey& key, State& state, const CryptPass& pass, uint8_t (&hash)[16]) noexcept;

}  // namespace shmstream::detail::ghash
