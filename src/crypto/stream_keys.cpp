#include "crypto/stream_keys.hpp"

#include <openssl/crypto.h>

#include <cstring>

#include "crypto/key_store.hpp"

namespace shmstream::detail {

Status load_key_generation(const layout::StreamHeader& header, uint32_t slot, FrameCipher& cipher,
                           std::string& message) noexcept try {
  // acquire: pairs with the start's release store of the generation, written after its slot.
  (void)header.key_generation.load(std::memory_order_acquire);
  const layout::KeyGeneration entry = header.key_generations[slot];
  if (entry.generation == 0 || entry.generation % layout::kKeyGenerationSlots != slot) {
    message = "a frame names key generation slot " + std::to_string(slot) + ", which stream.meta does not hold";
    return Status(StatusCode::kCorrupted, "frame names an unknown key generation");
  }
  KeyUuid uuid;
  std::memcpy(uuid.data(), entry.key_uuid, uuid.size());
  MasterKey key;
  Status status(StatusCode::kKmsNotFound, "key not found");
  std::string own_message;
  try {
    status = read_master_key(default_key_directory(), uuid, key, own_message);
  } catch (const Error& error) {
    own_message = error.what();  // no key directory of our own: the recorded one may still serve
  }
  message = own_message;
  const size_t recorded_length = strnlen(header.key_directory, sizeof header.key_directory);
  if (status.code() == StatusCode::kKmsNotFound && recorded_length != 0 && recorded_length < sizeof header.key_directory) {
    std::string recorded_message;
    status = read_master_key(std::string(header.key_directory, recorded_length), uuid, key, recorded_message);
    if (!status) message = own_message + "; " + recorded_message;
  }
  if (!status) return status;
  if (key.state != KeyState::kEnabled) {
    message = "KMS key " + key_arn(uuid) + " is disabled";
    return Status(StatusCode::kKmsDisabled, "the stream's KMS key is disabled");
  }
  uint8_t data_key[kDataKeyBytes];
  uint8_t master[kMasterKeyBytes];
  std::memcpy(master, key.material.data(), kMasterKeyBytes);
  const bool derived = derive_data_key(master, header.uuid, entry.generation, data_key);
  OPENSSL_cleanse(master, sizeof master);
  if (!derived) {
    message = "OpenSSL HKDF failed";
    return Status(StatusCode::kInternalFailure, "OpenSSL HKDF failed");
  }
  cipher.set_data_key(entry.generation, data_key);
  OPENSSL_cleanse(data_key, sizeof data_key);
  return Status::ok();
} catch (...) {
  message = "out of memory loading a key";
  return Status(StatusCode::kInternalFailure, "out of memory loading a key");
}

}  // namespace shmstream::detail
