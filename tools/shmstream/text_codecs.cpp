#include "text_codecs.hpp"

#include <cstdint>

#include "common/base64.hpp"

namespace shmstream::cli {

std::string base64_encode(std::string_view bytes) { return detail::base64_encode(bytes); }
std::optional<std::string> base64_decode(std::string_view text) { return detail::base64_decode(text); }
std::string base64url_encode(std::string_view bytes) { return detail::base64url_encode(bytes); }
std::optional<std::string> base64url_decode(std::string_view text) { return detail::base64url_decode(text); }

namespace {

bool utf8_with(std::string_view bytes, bool controls_allowed) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<uint8_t>(bytes[i]);
    if (lead < 0x80) {
      if (!controls_allowed && ((lead < 0x20 && lead != '\t') || lead == 0x7f)) return false;
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    if ((lead & 0xe0) == 0xc0) {
      length = 2;
      code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > bytes.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<uint8_t>(bytes[i + k]);
      if ((continuation & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (continuation & 0x3f);
    }
    constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[length] || code_point > 0x10ffff || (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;  // overlong, out of range or a surrogate
    }
    if (!controls_allowed && code_point >= 0x80 && code_point < 0xa0) return false;  // C1 controls
    i += length;
  }
  return true;
}

}  // namespace

bool is_utf8(std::string_view bytes) { return utf8_with(bytes, true); }
bool is_printable_utf8(std::string_view bytes) { return utf8_with(bytes, false); }

}  // namespace shmstream::cli
