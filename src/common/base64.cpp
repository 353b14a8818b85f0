#include "common/base64.hpp"

#include <array>
#include <cstdint>

namespace shmstream::detail {
namespace {

constexpr std::string_view kStandardAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using DecodeTable = std::array<int8_t, 256>;

constexpr DecodeTable decode_table(std::string_view alphabet) {
  DecodeTable value{};
  for (int8_t& v : value) v = -1;
  for (size_t i = 0; i < alphabet.size(); ++i) value[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return value;
}

constexpr DecodeTable kStandardValues = decode_table(kStandardAlphabet);
constexpr DecodeTable kUrlValues = decode_table(kUrlAlphabet);

void encode_into(std::string_view bytes, std::string_view alphabet, bool pad, std::string& out) {
  const size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* text = out.data() + start;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t group = uint32_t{static_cast<uint8_t>(bytes[i])} << 16 |
                           uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8 | static_cast<uint8_t>(bytes[i + 2]);
    *text++ = alphabet[(group >> 18) & 63];
    *text++ = alphabet[(group >> 12) & 63];
    *text++ = alphabet[(group >> 6) & 63];
    *text++ = alphabet[group & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t group = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) group |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    *text++ = alphabet[(group >> 18) & 63];
    *text++ = alphabet[(group >> 12) & 63];
    if (rest == 2) *text++ = alphabet[(group >> 6) & 63];
    if (pad) {
      *text++ = '=';
      if (rest == 1) *text++ = '=';
    }
  }
  out.resize(static_cast<size_t>(text - out.data()));
}

bool decode_into(std::string_view text, const DecodeTable& value, bool padding_allowed, std::string& out) {
  if (padding_allowed && text.size() % 4 == 0) {
    // Up to two '=' at the very end, nowhere else.
    for (int n = 0; n < 2 && !text.empty() && text.back() == '='; ++n) text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) return false;  // 6 bits cannot end a byte
  const size_t start = out.size();
  out.resize(start + text.size() * 3 / 4);
  char* bytes = out.data() + start;
  size_t i = 0;
  // A character outside the alphabet has the value -1: 0xFF as a byte, caught by its top bit.
  const auto at = [&](size_t k) { return static_cast<uint8_t>(value[static_cast<uint8_t>(text[k])]); };
  for (; i + 4 <= text.size(); i += 4) {
    const uint8_t a = at(i), b = at(i + 1), c = at(i + 2), d = at(i + 3);
    if (((a | b | c | d) & 0x80) != 0) return false;
    const uint32_t group = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6 | d;
    *bytes++ = static_cast<char>(group >> 16);
    *bytes++ = static_cast<char>(group >> 8);
    *bytes++ = static_cast<char>(group);
  }
  const size_t rest = text.size() - i;  // 0, 2 or 3 characters: 1 or 2 more bytes
  if (rest > 0) {
    const uint8_t a = at(i), b = at(i + 1), c = rest == 3 ? at(i + 2) : 0;
    if (((a | b | c) & 0x80) != 0) return false;
    const uint32_t group = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6;
    // Leftover bits must be zero, or two different texts would decode to the same bytes.
    if ((group & (rest == 2 ? 0xFFFFu : 0xFFu)) != 0) return false;
    *bytes++ = static_cast<char>(group >> 16);
    if (rest == 3) *bytes++ = static_cast<char>(group >> 8);
  }
  out.resize(static_cast<size_t>(bytes - out.data()));
  return true;
}

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string text;
  encode_into(bytes, alphabet, pad, text);
  return text;
}

std::optional<std::string> decode(std::string_view text, const DecodeTable& value, bool padding_allowed) {
  std::string bytes;
  if (!decode_into(text, value, padding_allowed, bytes)) return std::nullopt;
  return bytes;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStandardAlphabet, true); }
std::optional<std::string> base64_decode(std::string_view text) { return decode(text, kStandardValues, true); }
void base64_encode_append(std::string_view bytes, std::string& out) { encode_into(bytes, kStandardAlphabet, true, out); }
bool base64_decode_append(std::string_view text, std::string& out) {
  return decode_into(text, kStandardValues, true, out);
}
std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrlAlphabet, false); }
std::optional<std::string> base64url_decode(std::string_view text) { return decode(text, kUrlValues, false); }

}  // namespace shmstream::detail
