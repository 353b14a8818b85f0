// Base64 (RFC 4648): the standard alphabet for record data as the Kinesis API shows it, the URL-safe one
// without padding for opaque tokens (ShardIterator), which then survive shells and URLs unquoted.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shmstream::detail {

std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet, padding optional, no whitespace, zero leftover bits; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

// The same, appended to `out` (a buffer reused across calls: no allocation once it is large enough). On
// invalid text base64_decode_append returns false; `out` may then hold part of the bytes.
void base64_encode_append(std::string_view bytes, std::string& out);
bool base64_decode_append(std::string_view text, std::string& out);

std::string base64url_encode(std::string_view bytes);
// Strict as base64_decode, URL-safe alphabet, no padding.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace shmstream::detail
