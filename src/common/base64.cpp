#include "common/base64.hpp"

#include <array>
#include <cstdint>

namespace shmstream::detail {
namespace {

constexpr std::string_view kStandardAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t group = uint32_t{static_cast<uint8_t>(bytes[i])} << 16 |
                           uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8 | static_cast<uint8_t>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) text += alphabet[(group >> shift) & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t group = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) group |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    text += alphabet[(group >> 18) & 63];
    text += alphabet[(group >> 12) & 63];
    if (rest == 2) text += alphabet[(group >> 6) & 63];
    if (pad) text.append(rest == 1 ? "==" : "=");
  }
  return text;
}

std::optional<std::string> decode(std::string_view text, std::string_view alphabet, bool padding_allowed) {
  std::array<int8_t, 256> value{};
  value.fill(-1);
  for (size_t i = 0; i < alphabet.size(); ++i) value[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);

  if (padding_allowed && text.size() % 4 == 0) {
    // Up to two '=' at the very end, nowhere else.
    for (int n = 0; n < 2 && !text.empty() && text.back() == '='; ++n) text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  uint32_t accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    const int8_t v = value[static_cast<uint8_t>(c)];
    if (v < 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((accumulator >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, or two different texts would decode to the same bytes.
  if ((accumulator & ((1u << bits) - 1)) != 0) return std::nullopt;
  return bytes;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStandardAlphabet, true); }
std::optional<std::string> base64_decode(std::string_view text) { return decode(text, kStandardAlphabet, true); }
std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrlAlphabet, false); }
std::optional<std::string> base64url_decode(std::string_view text) { return decode(text, kUrlAlphabet, false); }

}  // namespace shmstream::detail
