// Brings a stream's key generation into a FrameCipher (cold: once per generation per producer or reader).
// The master key is looked for in this user's key directory (default_key_directory()), then in the directory
// recorded in stream.meta by the start of encryption, so a user the owner shared the key file with reads
// without configuration, and any other user is told KMSAccessDeniedException (docs/SECURITY.md).
#pragma once

#include <cstdint>
#include <string>

#include "crypto/frame_cipher.hpp"
#include "shmstream/layout/stream_header.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

// Loads the data key of the generation stored in `slot` of the header's key generations. kKmsNotFound,
// kKmsAccessDenied (cannot read the key file), kKmsDisabled, kCorrupted (no such generation, damaged key
// file), kInternalFailure. `message` says which key and file.
Status load_key_generation(const layout::StreamHeader& header, uint32_t slot, FrameCipher& cipher,
                           std::string& message) noexcept;

}  // namespace shmstream::detail
