#include "crypto/frame_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

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

FrameCipher::FrameCipher(Direction direction)
    : cipher_(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)), context_(EVP_CIPHER_CTX_new()),
      direction_(direction) {
  if (cipher_ == nullptr || context_ == nullptr) {
    EVP_CIPHER_free(cipher_);
    EVP_CIPHER_CTX_free(context_);
    throw Error(StatusCode::kInternalFailure, "OpenSSL cannot make an AES-256-GCM cipher context");
  }
}

FrameCipher::~FrameCipher() {
  EVP_CIPHER_CTX_free(context_);  // also wipes the key schedule
  EVP_CIPHER_free(cipher_);
  OPENSSL_cleanse(keys_.data(), sizeof keys_);
  OPENSSL_cleanse(scratch_, sizeof scratch_);
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
  if (keys_[slot].generation == 0 || !start(slot, shard_index, position, committed_state, arrival_ns)) return false;
  uint8_t expected_tag[kTagBytes];
  std::memcpy(expected_tag, tag, kTagBytes);  // the parameter takes a writable pointer; the mapping may be read-only
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, expected_tag, kTagBytes),
                         OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_set_params(context_, params) != 1) return false;
  if (length != 0 && EVP_Cipher(context_, plaintext, ciphertext, static_cast<unsigned>(length)) < 0) return false;
  return EVP_Cipher(context_, nullptr, nullptr, 0) >= 0;  // checks the tag
}

}  // namespace shmstream::detail
