#include "crypto/frame_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>

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
  if (engine == Engine::kFastest && ghash::cpu_has_carryless_multiply()) {
    ecb_cipher_ = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
    ecb_context_ = EVP_CIPHER_CTX_new();
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

void xor_bytes(uint8_t* out, const uint8_t* in, const uint8_t* key_stream, size_t length) noexcept {
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
  ghash::make_hash_key(h, hash_key_);
  OPENSSL_cleanse(h, sizeof h);
  keyed_slot_ = slot;
  return true;
}

bool FrameCipher::make_key_stream(uint32_t shard_index, uint64_t position, uint32_t first_counter,
                                  size_t blocks) noexcept {
  for (size_t i = 0; i < blocks; ++i) {
    uint8_t* block = key_stream_ + 16 * i;
    std::memcpy(block, &shard_index, 4);  // the nonce, as EVP GCM takes it
    std::memcpy(block + 4, &position, 8);
    const uint32_t counter = __builtin_bswap32(first_counter + static_cast<uint32_t>(i));  // inc32, big-endian
    std::memcpy(block + 12, &counter, 4);
  }
  return EVP_Cipher(ecb_context_, key_stream_, key_stream_, static_cast<unsigned>(16 * blocks)) > 0;
}

void FrameCipher::absorb_aad(ghash::State& state, uint64_t position, uint64_t committed_state,
                             int64_t arrival_ns) const noexcept {
  uint8_t aad[kAadBytes];
  std::memcpy(aad, &position, 8);
  std::memcpy(aad + 8, &committed_state, 8);
  std::memcpy(aad + 16, &arrival_ns, 8);
  ghash::reset(state);
  ghash::absorb(hash_key_, state, aad, nullptr, sizeof aad);
}

// The text is cut in key-stream chunks: the first holds J0 (the tag's mask) and 255 text blocks, the next 256.
template <typename Visit>
bool FrameCipher::for_each_key_stream_chunk(uint32_t shard_index, uint64_t position, size_t length,
                                            Visit&& visit) noexcept {
  uint32_t counter = 1;  // J0 = nonce || 1
  for (size_t done = 0, chunk_index = 0; chunk_index == 0 || done < length; ++chunk_index) {
    const size_t mask_bytes = chunk_index == 0 ? 16 : 0;
    const size_t chunk = std::min(length - done, kScratchBytes - mask_bytes);
    const size_t blocks = (mask_bytes + chunk + 15) / 16;
    if (!make_key_stream(shard_index, position, counter, blocks)) return false;
    counter += static_cast<uint32_t>(blocks);
    if (mask_bytes != 0) std::memcpy(tag_mask_, key_stream_, 16);
    visit(done, key_stream_ + mask_bytes, chunk);
    done += chunk;
  }
  return true;
}

bool FrameCipher::seal_composed(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                                int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                                size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept {
  if (!key_slot(slot)) return false;
  const size_t length = key_length + data_length;
  const bool made = for_each_key_stream_chunk(shard_index, position, length, [&](size_t at, const uint8_t* stream,
                                                                                size_t left) {
    if (at < key_length) {
      const size_t from_key = std::min(left, key_length - at);
      xor_bytes(ciphertext + at, key + at, stream, from_key);
      at += from_key;
      stream += from_key;
      left -= from_key;
    }
    if (left != 0) xor_bytes(ciphertext + at, data + (at - key_length), stream, left);
  });
  if (!made) return false;
  ghash::State state;
  absorb_aad(state, position, committed_state, arrival_ns);
  ghash::absorb(hash_key_, state, ciphertext, nullptr, length);
  uint8_t hash[16];
  ghash::finish(hash_key_, state, kAadBytes, length, hash);
  xor_bytes(tag, hash, tag_mask_, kTagBytes);
  return true;
}

bool FrameCipher::open_composed(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                                int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                                uint8_t* plaintext) noexcept {
  if (!key_slot(slot)) return false;
  ghash::State state;
  absorb_aad(state, position, committed_state, arrival_ns);
  // Each ciphertext byte is read once (the mapping may change under a hostile writer): decrypted into the
  // private plaintext, and hashed as plaintext XOR key stream.
  const bool made = for_each_key_stream_chunk(shard_index, position, length, [&](size_t at, const uint8_t* stream,
                                                                                size_t bytes) {
    xor_bytes(plaintext + at, ciphertext + at, stream, bytes);
    ghash::absorb(hash_key_, state, plaintext + at, stream, bytes);
  });
  if (!made) return false;
  uint8_t expected_tag[16];
  ghash::finish(hash_key_, state, kAadBytes, length, expected_tag);
  xor_bytes(expected_tag, expected_tag, tag_mask_, kTagBytes);
  if (CRYPTO_memcmp(expected_tag, tag, kTagBytes) != 0) {
    OPENSSL_cleanse(plaintext, length);  // nothing unauthenticated is left to use
    return false;
  }
  return true;
}

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

bool FrameCipher::seal(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                       int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                       size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept {
  if (composed()) {
    return seal_composed(slot, shard_index, position, committed_state, arrival_ns, key, key_length, data,
                         data_length, ciphertext, tag);
  }
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

bool FrameCipher::open(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                       int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                       uint8_t* plaintext) noexcept {
  if (keys_[slot].generation == 0) return false;
  if (composed()) {
    return open_composed(slot, shard_index, position, committed_state, arrival_ns, ciphertext, length, tag,
                         plaintext);
  }
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
