// AES-256-GCM of one frame's partition key and data (docs/FORMAT.md "Encrypted frames", docs/DESIGN.md §8).
// One per Producer (sealing) or ShardReader (opening): one OpenSSL EVP context, reused for every record, so
// a record costs no allocation and no key schedule (the context is re-keyed only when the key generation
// changes). Two engines make the same standard AES-256-GCM bytes:
//  - composed (CPUs with PCLMULQDQ, the default there): the counter blocks J0, J0+1, ... of a record are
//    encrypted in one EVP AES-256-ECB call (AES-NI through EVP) into a private key stream; one pass of
//    ghash::crypt XORs it with the text and hashes the ciphertext (AVX-512 VPCLMULQDQ where the CPU has
//    it), and the tag is E(J0) XOR GHASH. On AVX-512 a record that fits one pass is sealed or opened by one
//    function with its key stream (seal_record_512, open_record_512). OpenSSL's GCM spends ~200 ns per
//    record on fixed costs (nonce set-up and tag through the provider), several times a whole plain put.
//  - EVP GCM (elsewhere, and the reference the unit tests compare against): per record the nonce through
//    EVP_CipherInit_ex2, then EVP_Cipher for AAD, text and the tag, the tag through a prepared parameter.
//
//   data key = HKDF-SHA256(master key, salt none, info = stream uuid (16 bytes) || generation (u32 LE))
//   nonce    = shard index (u32 LE) || position (u64 LE): unique per data key by construction (a position is
//              never reused in a shard; the key differs per stream and generation)
//   AAD      = position (u64 LE) || committed state word (u64 LE) || arrival ns (i64 LE): a frame moved,
//              replayed elsewhere, or with an edited length, flag, generation or key length fails its tag.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "crypto/ghash.hpp"
#include "crypto/key_file.hpp"
#include "shmstream/layout/stream_header.hpp"

namespace shmstream::detail {

static_assert(std::endian::native == std::endian::little, "nonce and AAD are stored little-endian");

inline constexpr size_t kDataKeyBytes = 32;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kAadBytes = 24;
inline constexpr size_t kAadWords = kAadBytes / 8;
inline constexpr size_t kTagBytes = 16;

// HKDF-SHA256 as above (cold). false: OpenSSL failed.
bool derive_data_key(const uint8_t (&master)[kMasterKeyBytes], const uint8_t (&stream_uuid)[16], uint32_t generation,
                     uint8_t (&data_key)[kDataKeyBytes]) noexcept;

class FrameCipher {
 public:
  enum class Direction : uint8_t { kSeal, kOpen };
  // kFastest: composed GCM where the CPU allows, its GHASH as wide as the CPU allows; kComposed128: composed
  // with the 128-bit GHASH and XOR (what CPUs without AVX-512 run; for tests); kEvpGcm: OpenSSL's GCM.
  enum class Engine : uint8_t { kFastest, kComposed128, kEvpGcm };
  explicit FrameCipher(Direction direction, Engine engine = Engine::kFastest);  // throws Error(kInternalFailure) when OpenSSL cannot make a context
  ~FrameCipher();
  FrameCipher(const FrameCipher&) = delete;
  FrameCipher& operator=(const FrameCipher&) = delete;

  bool composed() const noexcept { return ecb_context_ != nullptr; }

  // Installs the data key of `generation` for frames naming its slot (generation % 32). Cold.
  void set_data_key(uint32_t generation, const uint8_t (&data_key)[kDataKeyBytes]) noexcept;
  // The generation whose data key the slot holds (0: none).
  uint32_t generation_in_slot(uint32_t slot) const noexcept { return keys_[slot].generation; }

  // Seals `key` then `data` into `ciphertext` (key.size() + data.size() bytes; may not overlap the inputs)
  // and writes the tag. The plaintext never passes through `ciphertext` (shared memory): a small record is
  // gathered in the cipher's private scratch and sealed in one call (apart, key and data would pay for a
  // partial block between them). false: OpenSSL failed (nothing to trust in `ciphertext`).
  bool seal(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state, int64_t arrival_ns,
            const uint8_t* key, size_t key_length, const uint8_t* data, size_t data_length, uint8_t* ciphertext,
            uint8_t* tag) noexcept {
    if (record_512_ && ghash::fits_record_pass(kAadWords, key_length + data_length)) [[likely]] {
      return seal_record_512(slot, shard_index, position, committed_state, arrival_ns, key, key_length, data,
                             data_length, ciphertext, tag);
    }
    if (composed()) {
      return seal_composed(slot, shard_index, position, committed_state, arrival_ns, key, key_length, data,
                           data_length, ciphertext, tag);
    }
    return seal_evp_gcm(slot, shard_index, position, committed_state, arrival_ns, key, key_length, data,
                        data_length, ciphertext, tag);
  }
  // Opens `length` bytes of ciphertext into `plaintext`. false: the tag does not match (or OpenSSL failed);
  // `plaintext` then holds nothing to use.
  bool open(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state, int64_t arrival_ns,
            const uint8_t* ciphertext, size_t length, const uint8_t* tag, uint8_t* plaintext) noexcept {
    if (keys_[slot].generation == 0) return false;
    if (record_512_ && ghash::fits_record_pass(kAadWords, length)) [[likely]] {
      return open_record_512(slot, shard_index, position, committed_state, arrival_ns, ciphertext, length, tag,
                             plaintext);
    }
    if (composed()) {
      return open_composed(slot, shard_index, position, committed_state, arrival_ns, ciphertext, length, tag,
                           plaintext);
    }
    return open_evp_gcm(slot, shard_index, position, committed_state, arrival_ns, ciphertext, length, tag, plaintext);
  }

 private:
  bool key_slot(uint32_t slot) noexcept;
  // Composed GCM: encrypts `blocks` counter blocks from `first_counter` into key_stream_.
  bool make_key_stream(uint32_t shard_index, uint64_t position, uint32_t first_counter, size_t blocks) noexcept;
  // Calls visit(offset, key_stream, bytes) for each key-stream chunk of a `length`-byte text, after putting
  // E(J0) in tag_mask_; false when EVP fails.
  template <typename Visit>
  bool for_each_key_stream_chunk(uint32_t shard_index, uint64_t position, size_t length, Visit&& visit) noexcept;
  ghash::CryptPass chunk_pass(const uint64_t (&aad_words)[kAadWords], size_t at, size_t bytes, bool last,
                              size_t length) const noexcept;
  bool seal_composed(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                     int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                     size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept;
  bool open_composed(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                     int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                     uint8_t* plaintext) noexcept;
  // OpenSSL's GCM: the engine kEvpGcm, and every engine where the CPU lacks PCLMULQDQ.
  bool seal_evp_gcm(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                    int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                    size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept;
  bool open_evp_gcm(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                    int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                    uint8_t* plaintext) noexcept;
  // seal_composed and open_composed for a record of one GHASH pass, where the engine's width is k512.
  bool seal_record_512(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                       int64_t arrival_ns, const uint8_t* key, size_t key_length, const uint8_t* data,
                       size_t data_length, uint8_t* ciphertext, uint8_t* tag) noexcept;
  bool open_record_512(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
                       int64_t arrival_ns, const uint8_t* ciphertext, size_t length, const uint8_t* tag,
                       uint8_t* plaintext) noexcept;
  bool start(uint32_t slot, uint32_t shard_index, uint64_t position, uint64_t committed_state,
             int64_t arrival_ns) noexcept;

  struct DataKey {
    uint32_t generation = 0;
    uint8_t bytes[kDataKeyBytes] = {};
  };
  EVP_CIPHER* cipher_;  // AES-256-GCM, fetched once from the default provider
  EVP_CIPHER_CTX* context_;
  Direction direction_;
  uint32_t keyed_slot_ = layout::kKeyGenerationSlots;  // the slot whose key schedule the context holds
  static constexpr size_t kScratchBytes = 4096;

 public:
  static constexpr size_t kKeyStreamBytes = kScratchBytes;  // 256 blocks: a multiple of four (64-byte stores)

 private:
  uint8_t scratch_[kScratchBytes];  // key || data of a small record being sealed (EVP GCM)
  EVP_CIPHER* ecb_cipher_ = nullptr;  // AES-256-ECB: composed GCM only
  EVP_CIPHER_CTX* ecb_context_ = nullptr;
  bool record_512_ = false;  // seal_record_512 and open_record_512 take the records that fit them
  ghash::HashKey hash_key_{};  // of the keyed slot; its width is the engine's
  alignas(16) uint8_t tag_mask_[16] = {};  // E(J0) of the record in progress
  alignas(16) uint8_t key_stream_[kScratchBytes];  // counter blocks, then their encryption
  std::array<DataKey, layout::kKeyGenerationSlots> keys_{};
};

}  // namespace shmstream::detail
