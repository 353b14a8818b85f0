// 128-bit hash keys: MD5 of the partition key read big-endian, or an ExplicitHashKey given in decimal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shmstream {

__extension__ typedef unsigned __int128 HashKey;

inline constexpr HashKey kMaxHashKey = ~HashKey{0};

// Parses a decimal ExplicitHashKey in [0, 2^128). Returns nullopt on any other text (sign, spaces, overflow).
std::optional<HashKey> parse_hash_key(std::string_view decimal) noexcept;
std::string format_hash_key(HashKey key);
// Decimal text of an unsigned 64-bit sequence number, and its strict parser.
std::string format_sequence_number(uint64_t sequence_number);
std::optional<uint64_t> parse_sequence_number(std::string_view decimal) noexcept;

}  // namespace shmstream
