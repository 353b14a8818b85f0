#include "crypto/frame_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

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

FrameCipher::FrameCipher(Direction direction) : context_(EVP_CIPHER_CTX_new()), direction_(direction) {
  if (context_ == nullptr) throw Error(StatusCode::kInternalFailure, "OpenSSL cannot make a cipher context");
}

FrameCipher::~FrameCipher() {
  EVP_CIPHER_CTX_free(context_);  // also wipes the key schedule
  OPENSSL_cleanse(keys_.data(), sizeof keys_);
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
  const bool seal = direction_ == Direction::kSeal;
  if (slot != keyed_slot_) [[unlikely]] {
    // The key schedule (and GHASH key) is made once per generation, not per record.
    if ((seal ? EVP_EncryptInit_ex(context_, EVP_aes_256_gcm(), nullptr, keys_[slot].bytes, nonce)
              : EVP_DecryptInit_ex(context_, EVP_aes_256_gcm(), nullptr, keys_[slot].bytes, nonce)) != 1) {
      keyed_slot_ = layout::kKeyGenerationSlots;
      return false;
    }
    keyed_slot_ = slot;
  } else if ((seal ? EVP_EncryptInit_ex(context_, nullptr, nullptr, nullptr, nonce)
                   : EVP_DecryptInit_ex(context_, nullptr, nullptr, nullptr, nonce)) != 1) {
    return false;
  }
  uint8_t aad[kAadBytes];
  std::memcpy(aad, &position, 8);
  std::memcpy(aad + 8, &committed_state, 8);
  std::memcpy(aad + 16, &arrival_ns, 8);
  int written = 0;
  return (seal ? EVP_EncryptUpdate(context_, nullptr, &written, aad, sizeof aad)
               : EVP_DecryptUpdate(context_, nullptr, &written, aad, sizeof aad)) == 1;
}

bool FrameCipher::seal(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                       int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                       size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept {
  if (!start(slot, shard_index, position, committed_state, arrival_ns)) return false;
  int written = 0;
  if (EVP_EncryptUpdate(context_, ciphertext, &written, key, static_cast<int>(key_length)) != 1) return false;
  if (data_length != 0 &&
      EVP_EncryptUpdate(context_, ciphertext + key_length, &written, data, static_cast<int>(data_length)) != 1) {
    return false;
  }
  return EVP_EncryptFinal_ex(context_, ciphertext + key_length + data_length, &written) == 1 &&
         EVP_CIPHER_CTX_ctrl(context_, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
}

bool FrameCipher::open(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                       int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                       uint8_t* plaintext) noexcept {
  if (keys_[slot].generation == 0 || !start(slot, shard_index, position, committed_state, arrival_ns)) return false;
  uint8_t expected_tag[kTagBytes];
  std::memcpy(expected_tag, tag, kTagBytes);  // the ctrl takes a writable pointer; the mapping may be read-only
  int written = 0;
  if (length != 0 && EVP_DecryptUpdate(context_, plaintext, &written, ciphertext, static_cast<int>(length)) != 1) {
    return false;
  }
  return EVP_CIPHER_CTX_ctrl(context_, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), expected_tag) == 1 &&
         EVP_DecryptFinal_ex(context_, plaintext + length, &written) == 1;
}

}  // namespace shmstream::detail
