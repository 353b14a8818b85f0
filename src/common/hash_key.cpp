#include "shmstream/hash_key.hpp"

#include <algorithm>

namespace shmstream {

std::optional<HashKey> parse_hash_key(std::string_view decimal) noexcept {
  if (decimal.empty() || decimal.size() > 39) return std::nullopt;
  HashKey value = 0;
  for (char c : decimal) {
    if (c < '0' || c > '9') return std::nullopt;
    const unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (kMaxHashKey - digit) / 10) return std::nullopt;  // value * 10 + digit would wrap
    value = value * 10 + digit;
  }
  return value;
}

std::string format_hash_key(HashKey key) {
  std::string text;
  do {
    text.push_back(static_cast<char>('0' + static_cast<int>(key % 10)));
    key /= 10;
  } while (key != 0);
  std::reverse(text.begin(), text.end());
  return text;
}

std::string format_sequence_number(uint64_t sequence_number) { return std::to_string(sequence_number); }

std::optional<uint64_t> parse_sequence_number(std::string_view decimal) noexcept {
  const auto wide = parse_hash_key(decimal);
  if (!wide || *wide > HashKey{UINT64_MAX}) return std::nullopt;
  return static_cast<uint64_t>(*wide);
}

}  // namespace shmstream
