// GHASH of AES-GCM (NIST SP 800-38D §6.4) on the carry-less multiply instruction (PCLMULQDQ), for
// FrameCipher's composed GCM: OpenSSL's EVP GCM costs ~300 ns of fixed overhead per record (nonce set-up
// and tag read through the provider), several times a whole plain put, so small records take the AES-CTR
// key stream from one EVP AES-256-ECB call over the counter blocks and the tag from this GHASH. Where the
// CPU lacks the instruction, FrameCipher keeps OpenSSL's GCM (cpu_has_carryless_multiply() false).
//
// Representation: a block is held byte-reversed in a 128-bit register, so that register bit i is the
// coefficient of x^(127-i) of the field element (SP 800-38D numbers bits from the left of byte 0). The
// carry-less product of two such registers is the product polynomial, reflected, one bit short of 256; it is
// shifted left by one and its upper 128 degrees folded with x^128 = x^7 + x^2 + x + 1.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shmstream::detail::ghash {

bool cpu_has_carryless_multiply() noexcept;

// H, H^2, H^3, H^4 (H = AES_K(0^128)) in the register representation: four blocks are folded per reduction.
struct HashKey {
  alignas(16) uint8_t powers[4][16];
};
// The running GHASH value Y, in the register representation.
struct State {
  alignas(16) uint8_t y[16];
};

// All below need cpu_has_carryless_multiply().
void make_hash_key(const uint8_t (&h)[16], HashKey& key) noexcept;  // h: AES_K(0^128) as the cipher wrote it
void reset(State& state) noexcept;
// Absorbs `length` bytes (data XOR mask when mask is non-null), the last partial block padded with zeros
// (so call it once per AAD and once per ciphertext, or with whole blocks in between).
void absorb(const HashKey& key, State& state, const uint8_t* data, const uint8_t* mask, size_t length) noexcept;
// Absorbs the lengths block (bit lengths of AAD and ciphertext) and writes GHASH in block byte order.
void finish(const HashKey& key, State& state, uint64_t aad_bytes, uint64_t text_bytes, uint8_t (&out)[16]) noexcept;

}  // namespace shmstream::detail::ghash
