// A master key file of the local key service: `<key dir>/<key uuid>.key`, mode 0600 unless its owner shares
// it (docs/FORMAT.md "Key files", docs/SECURITY.md). Whoever can read the file can use the key.
//
//  byte 0            4          6          8                       24              32
//  +-----------------+----------+----------+-----------------------+---------------+---------------------+
//  | magic "SKEY"    | version  | state    | key uuid (16 bytes)   | creation ns   | key material (32)   |
//  +-----------------+----------+----------+-----------------------+---------------+---------------------+
//  64 description length (u32)   68 key manager (u8: 0 CUSTOMER, 1 AWS)   69..71 zero
//  72 description (UTF-8, `description length` bytes, at most 8192); the file ends there.
//  All integers little-endian. state: 1 Enabled, 2 Disabled. version: 1.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shmstream/status.hpp"

namespace shmstream::detail {

inline constexpr uint32_t kKeyFileMagic = 0x59454b53;  // "SKEY" little-endian
inline constexpr uint16_t kKeyFileVersion = 1;
inline constexpr size_t kKeyFileFixedSize = 72;
inline constexpr size_t kMasterKeyBytes = 32;
inline constexpr size_t kMaxKeyDescriptionBytes = 8192;  // KMS DescriptionType
inline constexpr size_t kStateOffset = 6;

using KeyUuid = std::array<uint8_t, 16>;

enum class KeyState : uint16_t { kEnabled = 1, kDisabled = 2 };
enum class KeyManager : uint8_t { kCustomer = 0, kAws = 1 };

struct MasterKey {
  KeyUuid uuid{};
  int64_t creation_ns = 0;
  KeyState state = KeyState::kEnabled;
  KeyManager manager = KeyManager::kCustomer;
  std::string description;
  std::array<uint8_t, kMasterKeyBytes> material{};

  ~MasterKey();  // wipes the material
  MasterKey() = default;
  MasterKey(const MasterKey&) = default;
  MasterKey& operator=(const MasterKey&) = default;
};

std::vector<uint8_t> serialize_key_file(const MasterKey& key);
// Strict: magic, version, state, manager, reserved bytes, exact size. kCorrupted with `problem` set.
Status parse_key_file(std::span<const uint8_t> bytes, MasterKey& key) noexcept;

// "1234abcd-12ab-34cd-56ef-1234567890ab" (lower case) and its parser (any case).
std::string uuid_text(const KeyUuid& uuid);
bool parse_uuid(std::string_view text, KeyUuid& uuid) noexcept;

}  // namespace shmstream::detail
