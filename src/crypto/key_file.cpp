#include "crypto/key_file.hpp"

#include <openssl/crypto.h>

#include <cstring>

namespace shmstream::detail {
namespace {

template <typename T>
void put(std::vector<uint8_t>& out, size_t offset, T value) {
  std::memcpy(out.data() + offset, &value, sizeof value);
}
template <typename T>
T get(std::span<const uint8_t> bytes, size_t offset) noexcept {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

MasterKey::~MasterKey() { OPENSSL_cleanse(material.data(), material.size()); }

std::vector<uint8_t> serialize_key_file(const MasterKey& key) {
  std::vector<uint8_t> out(kKeyFileFixedSize + key.description.size(), 0);
  put(out, 0, kKeyFileMagic);
  put(out, 4, kKeyFileVersion);
  put(out, kStateOffset, static_cast<uint16_t>(key.state));
  std::memcpy(out.data() + 8, key.uuid.data(), key.uuid.size());
  put(out, 24, key.creation_ns);
  std::memcpy(out.data() + 32, key.material.data(), key.material.size());
  put(out, 64, static_cast<uint32_t>(key.description.size()));
  out[68] = static_cast<uint8_t>(key.manager);
  std::memcpy(out.data() + kKeyFileFixedSize, key.description.data(), key.description.size());
  return out;
}

Status parse_key_file(std::span<const uint8_t> bytes, MasterKey& key) noexcept {
  if (bytes.size() < kKeyFileFixedSize) return Status(StatusCode::kCorrupted, "key file is shorter than its header");
  if (get<uint32_t>(bytes, 0) != kKeyFileMagic) return Status(StatusCode::kCorrupted, "key file has no key magic");
  if (get<uint16_t>(bytes, 4) != kKeyFileVersion) {
    return Status(StatusCode::kIncompatibleLayout, "key file version differs from this library's");
  }
  const uint16_t state = get<uint16_t>(bytes, kStateOffset);
  if (state != static_cast<uint16_t>(KeyState::kEnabled) && state != static_cast<uint16_t>(KeyState::kDisabled)) {
    return Status(StatusCode::kCorrupted, "key file state is unknown");
  }
  const uint32_t description_length = get<uint32_t>(bytes, 64);
  if (description_length > kMaxKeyDescriptionBytes || bytes.size() != kKeyFileFixedSize + description_length) {
    return Status(StatusCode::kCorrupted, "key file size does not match its description length (truncated?)");
  }
  if (bytes[68] > static_cast<uint8_t>(KeyManager::kAws) || bytes[69] != 0 || bytes[70] != 0 || bytes[71] != 0) {
    return Status(StatusCode::kCorrupted, "key file key manager or reserved bytes are invalid");
  }
  try {
    key.description.assign(reinterpret_cast<const char*>(bytes.data() + kKeyFileFixedSize), description_length);
  } catch (...) {
    return Status(StatusCode::kInternalFailure, "out of memory reading a key file");
  }
  std::memcpy(key.uuid.data(), bytes.data() + 8, key.uuid.size());
  key.creation_ns = get<int64_t>(bytes, 24);
  std::memcpy(key.material.data(), bytes.data() + 32, key.material.size());
  key.state = static_cast<KeyState>(state);
  key.manager = static_cast<KeyManager>(bytes[68]);
  return Status::ok();
}

std::string uuid_text(const KeyUuid& uuid) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHex[uuid[i] >> 4];
    text += kHex[uuid[i] & 15];
  }
  return text;
}

bool parse_uuid(std::string_view text, KeyUuid& uuid) noexcept {
  if (text.size() != 36) return false;
  size_t byte = 0;
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i++] != '-') return false;
      continue;
    }
    const int high = hex_digit(text[i]);
    const int low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0) return false;
    uuid[byte++] = static_cast<uint8_t>(high << 4 | low);
    i += 2;
  }
  return byte == uuid.size();
}

}  // namespace shmstream::detail
