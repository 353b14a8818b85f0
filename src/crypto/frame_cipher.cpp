#include "crypto/frame_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>

#include "crypto/ghash_record_512.hpp"  // immintrin.h on x86
#include "shmstream/status.hpp"

namespace shmstream::detail {

bool derive_data_key(const uint8_t (&master)[kMasterKeyBytes], const uint8_t (&stream_uuid)[16], uint32_t generation,
                     uint8_t (&data_key)[kDataKeyBytes]) noexcept {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* context = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (context == nullptr) return false;
  uint8_t info[20];
  std::memcpy(info, stream_uuid, 16);
  std::memcpy(info + 16, &generation, 4);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(master), kMasterKeyBytes),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof info),
      OSSL_PARAM_construct_end(),
  };
  const bool ok = EVP_KDF_derive(context, data_key, kDataKeyBytes, params) == 1;
  EVP_KDF_CTX_free(context);
  return ok;
}

FrameCipher::FrameCipher(Direction direction, Engine engine)
    : cipher_(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)), context_(EVP_CIPHER_CTX_new()),
      direction_(direction) {
  if (engine != Engine::kEvpGcm && ghash::cpu_has_carryless_multiply()) {
    hash_key_.width = engine == Engine::kComposed128 ? ghash::Width::k128 : ghash::widest_width();
    ecb_cipher_ = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
    ecb_context_ = EVP_CIPHER_CTX_new();
#if SHMSTREAM_GHASH_RECORD_512
    record_512_ = hash_key_.width == ghash::Width::k512;
#endif
  }
  const bool composed_failed = (ecb_cipher_ == nullptr) != (ecb_context_ == nullptr);
  if (cipher_ == nullptr || context_ == nullptr || composed_failed) {
    EVP_CIPHER_free(cipher_);
    EVP_CIPHER_CTX_free(context_);
    EVP_CIPHER_free(ecb_cipher_);
    EVP_CIPHER_CTX_free(ecb_context_);
    throw Error(StatusCode::kInternalFailure, "OpenSSL cannot make an AES-256-GCM cipher context");
  }
}

FrameCipher::~FrameCipher() {
  EVP_CIPHER_CTX_free(context_);  // also wipes the key schedule
  EVP_CIPHER_free(cipher_);
  EVP_CIPHER_CTX_free(ecb_context_);
  EVP_CIPHER_free(ecb_cipher_);
  OPENSSL_cleanse(keys_.data(), sizeof keys_);
  OPENSSL_cleanse(scratch_, sizeof scratch_);
  OPENSSL_cleanse(key_stream_, sizeof key_stream_);
  OPENSSL_cleanse(&hash_key_, sizeof hash_key_);
}

namespace {

[[gnu::always_inline]] inline void xor_bytes(uint8_t* out, const uint8_t* in, const uint8_t* key_stream,
                                             size_t length) noexcept {
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, in + i, 8);
    std::memcpy(&b, key_stream + i, 8);
    a ^= b;
    std::memcpy(out + i, &a, 8);
  }
  for (; i < length; ++i) out[i] = in[i] ^ key_stream[i];
}

// The counter blocks nonce || inc32^i(first_counter), i < blocks: the nonce as EVP GCM takes a 12-byte IV,
// the counter big-endian (NIST SP 800-38D §6.2, wrapping mod 2^32 as inc32 does).
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("ssse3"))) void write_counter_blocks(uint8_t* out, uint32_t shard_index, uint64_t position,
                                                            uint32_t first_counter, size_t blocks) noexcept {
  // The composed GCM runs only where ghash::cpu_has_carryless_multiply(), which includes SSSE3.
  __m128i block = _mm_set_epi32(static_cast<int>(first_counter), static_cast<int>(position >> 32),
                                static_cast<int>(position), static_cast<int>(shard_index));
  const __m128i counter_big_endian = _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m128i one = _mm_set_epi32(1, 0, 0, 0);
  for (size_t i = 0; i < blocks; ++i) {
    _mm_store_si128(reinterpret_cast<__m128i*>(out + 16 * i), _mm_shuffle_epi8(block, counter_big_endian));
    block = _mm_add_epi32(block, one);
  }
}

// write_counter_blocks four blocks per 64-byte store, for ghash::Width::k512 CPUs. It may write up to three
// blocks past `blocks`, within the key stream (whose 256 blocks are a multiple of four).
__attribute__((target("avx2,avx512f,avx512bw"))) inline void write_counter_blocks_512(uint8_t* out, uint32_t shard_index,
                                                                               uint64_t position,
                                                                               uint32_t first_counter,
                                                                               size_t blocks) noexcept {
  static_assert(FrameCipher::kKeyStreamBytes % 64 == 0);
  // One block in every lane, then lane i's counter advanced by i: the counter is added in the CPU's byte order
  // and swapped to big-endian per block, so inc32 wraps mod 2^32 as the standard says.
  const __m512i first = _mm512_broadcast_i32x4(_mm_set_epi32(static_cast<int>(first_counter),
                                                             static_cast<int>(position >> 32),
                                                             static_cast<int>(position), static_cast<int>(shard_index)));
  const __m512i counter_big_endian =
      _mm512_set_epi64(0x0c0d0e0f0b0a0908, 0x0706050403020100, 0x0c0d0e0f0b0a0908, 0x0706050403020100,
                       0x0c0d0e0f0b0a0908, 0x0706050403020100, 0x0c0d0e0f0b0a0908, 0x0706050403020100);
  const __m512i four = _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
  __m512i four_blocks = _mm512_add_epi32(first, _mm512_set_epi32(3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
  for (size_t i = 0; i < blocks; i += 4) {
    _mm512_storeu_si512(out + 16 * i, _mm512_shuffle_epi8(four_blocks, counter_big_endian));
    four_blocks = _mm512_add_epi32(four_blocks, four);
  }
}
#else
void write_counter_blocks(uint8_t* out, uint32_t shard_index, uint64_t position, uint32_t first_counter,
                          size_t blocks) noexcept {
  for (size_t i = 0; i < blocks; ++i) {
    uint8_t* block = out + 16 * i;
    std::memcpy(block, &shard_index, 4);
    std::memcpy(block + 4, &position, 8);
    const uint32_t counter = __builtin_bswap32(first_counter + static_cast<uint32_t>(i));
    std::memcpy(block + 12, &counter, 4);
  }
}
#endif

}  // namespace

bool FrameCipher::key_slot(uint32_t slot) noexcept {
  if (slot == keyed_slot_) [[likely]] return true;
  keyed_slot_ = layout::kKeyGenerationSlots;
  if (EVP_CipherInit_ex2(ecb_context_, ecb_cipher_, keys_[slot].bytes, nullptr, 1, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ecb_context_, 0) != 1) {
    return false;
  }
  alignas(16) uint8_t h[16] = {};
  if (EVP_Cipher(ecb_context_, h, h, sizeof h) <= 0) return false;
  ghash::make_hash_key(h, hash_key_, hash_key_.width);
  OPENSSL_cleanse(h, sizeof h);
  keyed_slot_ = slot;
  return true;
}

[[gnu::always_inline]] inline bool FrameCipher::make_key_stream(uint32_t shard_index, uint64_t position,
                                                                uint32_t first_counter, size_t blocks) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  if (hash_key_.width == ghash::Width::k512) {
    write_counter_blocks_512(key_stream_, shard_index, position, first_counter, blocks);
  } else {
    write_counter_blocks(key_stream_, shard_index, position, first_counter, blocks);
  }
#else
  write_counter_blocks(key_stream_, shard_index, position, first_counter, blocks);
#endif
  return EVP_Cipher(ecb_context_, key_stream_, key_stream_, static_cast<unsigned>(16 * blocks)) > 0;
}

// The text is cut in key-stream chunks: the first holds J0 (the tag's mask) and 255 text blocks, the next 256
// (whole blocks, so GHASH absorbs chunk by chunk while the chunk is in cache).
template <typename Visit>
bool FrameCipher::for_each_key_stream_chunk(uint32_t shard_index, uint64_t position, size_t length,
                                            Visit&& visit) noexcept {
  if (length <= kScratchBytes - 16) [[likely]] {  // one key stream: J0 and the text's blocks
    if (!make_key_stream(shard_index, position, 1, 1 + ghash::blocks_of(length))) return false;
    std::memcpy(tag_mask_, key_stream_, 16);
    visit(size_t{0}, key_stream_ + 16, length, true);
    return true;
  }
  uint32_t counter = 1;  // J0 = nonce || 1
  for (size_t done = 0, chunk_index = 0; chunk_index == 0 || done < length; ++chunk_index) {
    const size_t mask_bytes = chunk_index == 0 ? 16 : 0;
    const size_t chunk = std::min(length - done, kScratchBytes - mask_bytes);
    const size_t blocks = (mask_bytes + chunk + 15) / 16;
    if (!make_key_stream(shard_index, position, counter, blocks)) return false;
    counter += static_cast<uint32_t>(blocks);
    if (mask_bytes != 0) std::memcpy(tag_mask_, key_stream_, 16);
    visit(done, key_stream_ + mask_bytes, chunk, done + chunk == length);
    done += chunk;
  }
  return true;
}

// The text of a chunk through ghash::crypt: the AAD with the first chunk, the lengths block with the last.
[[gnu::always_inline]] inline ghash::CryptPass FrameCipher::chunk_pass(const uint64_t (&aad_words)[kAadWords], size_t at,
                                                                       size_t bytes, bool last,
                                                                       size_t length) const noexcept {
  ghash::CryptPass pass;
  pass.length = bytes;
  if (at == 0) {
    pass.aad_words = aad_words;
    pass.aad_word_count = kAadWords;
  }
  pass.finish = last;
  pass.aad_bytes = kAadBytes;
  pass.text_bytes = length;
  return pass;
}

bool FrameCipher::seal_composed(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                                int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                                size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept {
  if (!key_slot(slot)) return false;
  const uint64_t aad_words[kAadWords] = {position, committed_state, static_cast<uint64_t>(arrival_ns)};
  const size_t length = key_length + data_length;
  ghash::State state;
  ghash::reset(state);
  uint8_t hash[16];
  const bool made = for_each_key_stream_chunk(shard_index, position, length, [&](size_t at, const uint8_t* stream,
                                                                                size_t bytes, bool last) {
    ghash::CryptPass pass = chunk_pass(aad_words, at, bytes, last, length);
    if (at < key_length) {  // the text is key || data
      pass.head = key + at;
      pass.head_length = std::min(bytes, key_length - at);
      pass.tail = data;
    } else {
      pass.head = data + (at - key_length);
      pass.head_length = bytes;
    }
    pass.key_stream = stream;
    pass.out = ciphertext + at;
    pass.hash_result = true;  // the ciphertext, from the register it was stored from
    ghash::crypt(hash_key_, state, pass, hash);
  });
  if (!made) return false;
  xor_bytes(tag, hash, tag_mask_, kTagBytes);
  return true;
}

bool FrameCipher::open_composed(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                                int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                                uint8_t* plaintext) noexcept {
  if (!key_slot(slot)) return false;
  const uint64_t aad_words[kAadWords] = {position, committed_state, static_cast<uint64_t>(arrival_ns)};
  ghash::State state;
  ghash::reset(state);
  // Each ciphertext byte is read once (the mapping may change under a hostile writer): loaded into a
  // register, decrypted into the private plaintext and hashed from that register.
  uint8_t expected_tag[16];
  const bool made = for_each_key_stream_chunk(shard_index, position, length, [&](size_t at, const uint8_t* stream,
                                                                                size_t bytes, bool last) {
    ghash::CryptPass pass = chunk_pass(aad_words, at, bytes, last, length);
    pass.head = ciphertext + at;
    pass.head_length = bytes;
    pass.key_stream = stream;
    pass.out = plaintext + at;
    pass.hash_result = false;
    ghash::crypt(hash_key_, state, pass, expected_tag);
  });
  if (!made) return false;
  xor_bytes(expected_tag, expected_tag, tag_mask_, kTagBytes);
  if (CRYPTO_memcmp(expected_tag, tag, kTagBytes) != 0) {
    OPENSSL_cleanse(plaintext, length);  // nothing unauthenticated is left to use
    return false;
  }
  return true;
}

#if SHMSTREAM_GHASH_RECORD_512
// seal_composed and open_composed for a record that fits one pass, on AVX-512: the key stream of J0 and the
// text (one EVP call), the pass and the tag in one function (the pass inlined), no argument block or call
// between them; the tag's mask E(J0) is read from the key stream.
SHMSTREAM_WIDE_CLMUL bool FrameCipher::seal_record_512(uint32_t slot, uint32_t shard_index, uint64_t position,
                                                       uint64_t committed_state, int64_t arrival_ns, const uint8_t* key,
                                                       size_t key_length, const uint8_t* data, size_t data_length,
                                                       uint8_t* ciphertext, uint8_t* tag) noexcept {
  const size_t length = key_length + data_length;
  if (!key_slot(slot) || !make_key_stream(shard_index, position, 1, 1 + ghash::blocks_of(length))) return false;
  const uint64_t aad_words[kAadWords] = {position, committed_state, static_cast<uint64_t>(arrival_ns)};
  ghash::CryptPass pass = chunk_pass(aad_words, 0, length, true, length);
  pass.head = key;
  pass.head_length = key_length;
  pass.tail = data;
  pass.key_stream = key_stream_ + 16;
  pass.out = ciphertext;
  pass.hash_result = true;  // the ciphertext, from the register it was stored from
  const __m128i hash = ghash::record512::block_order(ghash::crypt_record_512<true>(hash_key_, pass));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(tag),
                   _mm_xor_si128(hash, _mm_load_si128(reinterpret_cast<const __m128i*>(key_stream_))));  // E(J0)
  return true;
}

SHMSTREAM_WIDE_CLMUL bool FrameCipher::open_record_512(uint32_t slot, uint32_t shard_index, uint64_t position,
                                                       uint64_t committed_state, int64_t arrival_ns,
                                                       const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                                                       uint8_t* plaintext) noexcept {
  if (!key_slot(slot) || !make_key_stream(shard_index, position, 1, 1 + ghash::blocks_of(length))) return false;
  const uint64_t aad_words[kAadWords] = {position, committed_state, static_cast<uint64_t>(arrival_ns)};
  // Each ciphertext byte is read once (the mapping may change under a hostile writer): loaded into a
  // register, decrypted into the private plaintext and hashed from that register.
  ghash::CryptPass pass = chunk_pass(aad_words, 0, length, true, length);
  pass.head = ciphertext;
  pass.head_length = length;
  pass.key_stream = key_stream_ + 16;
  pass.out = plaintext;
  pass.hash_result = false;
  alignas(16) uint8_t expected_tag[kTagBytes];
  _mm_store_si128(reinterpret_cast<__m128i*>(expected_tag),
                  _mm_xor_si128(ghash::record512::block_order(ghash::crypt_record_512<false>(hash_key_, pass)),
                                _mm_load_si128(reinterpret_cast<const __m128i*>(key_stream_))));
  if (CRYPTO_memcmp(expected_tag, tag, kTagBytes) != 0) {
    OPENSSL_cleanse(plaintext, length);  // nothing unauthenticated is left to use
    return false;
  }
  return true;
}
#else  // no AVX-512 record pass: record_512_ stays false, so these are never called
bool FrameCipher::seal_record_512(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                                  int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                                  size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept {
  return seal_composed(slot, shard_index, position, committed_state, arrival_ns, key, key_length, data,
                       data_length, ciphertext, tag);
}
bool FrameCipher::open_record_512(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                                  int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                                  uint8_t* plaintext) noexcept {
  return open_composed(slot, shard_index, position, committed_state, arrival_ns, ciphertext, length, tag,
                       plaintext);
}
#endif

void FrameCipher::set_data_key(uint32_t generation, const uint8_t (&data_key)[kDataKeyBytes]) noexcept {
  DataKey& slot = keys_[generation % layout::kKeyGenerationSlots];
  slot.generation = generation;
  std::memcpy(slot.bytes, data_key, kDataKeyBytes);
  if (keyed_slot_ == generation % layout::kKeyGenerationSlots) keyed_slot_ = layout::kKeyGenerationSlots;
}

bool FrameCipher::start(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                        int64_t arrival_ns) noexcept {
  uint8_t nonce[kNonceBytes];
  std::memcpy(nonce, &shard_index, 4);
  std::memcpy(nonce + 4, &position, 8);
  if (slot != keyed_slot_) [[unlikely]] {
    // The key schedule (and GHASH key) is made once per generation, not per record.
    if (EVP_CipherInit_ex2(context_, cipher_, keys_[slot].bytes, nonce, direction_ == Direction::kSeal ? 1 : 0,
                           nullptr) != 1) {
      keyed_slot_ = layout::kKeyGenerationSlots;
      return false;
    }
    keyed_slot_ = slot;
  } else if (EVP_CipherInit_ex2(context_, nullptr, nullptr, nonce, -1, nullptr) != 1) {
    return false;
  }
  uint8_t aad[kAadBytes];
  std::memcpy(aad, &position, 8);
  std::memcpy(aad + 8, &committed_state, 8);
  std::memcpy(aad + 16, &arrival_ns, 8);
  // EVP_Cipher on an AEAD cipher: a null output takes AAD, a null input finishes; -1 is a failure.
  return EVP_Cipher(context_, nullptr, aad, sizeof aad) >= 0;
}

bool FrameCipher::seal_evp_gcm(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                               int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                               size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept {
  if (!start(slot, shard_index, position, committed_state, arrival_ns)) return false;
  const size_t length = key_length + data_length;
  if (length <= kScratchBytes) {
    std::memcpy(scratch_, key, key_length);
    std::memcpy(scratch_ + key_length, data, data_length);
    if (EVP_Cipher(context_, ciphertext, scratch_, static_cast<unsigned>(length)) < 0) return false;
  } else if (EVP_Cipher(context_, ciphertext, key, static_cast<unsigned>(key_length)) < 0 ||
             EVP_Cipher(context_, ciphertext + key_length, data, static_cast<unsigned>(data_length)) < 0) {
    return false;
  }
  if (EVP_Cipher(context_, nullptr, nullptr, 0) < 0) return false;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kTagBytes),
                         OSSL_PARAM_construct_end()};
  return EVP_CIPHER_CTX_get_params(context_, params) == 1;
}

bool FrameCipher::open_evp_gcm(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                               int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                               uint8_t* plaintext) noexcept {
  if (!start(slot, shard_index, position, committed_state, arrival_ns)) return false;
  uint8_t expected_tag[kTagBytes];
  std::memcpy(expected_tag, tag, kTagBytes);  // the parameter takes a writable pointer; the mapping may be read-only
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, expected_tag, kTagBytes),
                         OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_set_params(context_, params) != 1) return false;
  if (length != 0 && EVP_Cipher(context_, plaintext, ciphertext, static_cast<unsigned>(length)) < 0) return false;
  return EVP_Cipher(context_, nullptr, nullptr, 0) >= 0;  // checks the tag
}

}  // namespace shmstream::detail
