// Byte <-> text encodings the CLI needs: base64 for record data (as the Kinesis API), base64url for opaque
// tokens (both the library's, common/base64.hpp), and a check that decides whether `tail` can show data as
// text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shmstream::cli {

std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet, padding optional, no whitespace; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

// URL-safe alphabet, no padding: tokens survive shells and URLs unquoted.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view bytes);
// Well-formed UTF-8 without control characters other than tab: safe to print on a terminal as is.
bool is_printable_utf8(std::string_view bytes);

}  // namespace shmstream::cli
