// Per-producer partition key -> (hash key, shard) cache, two-way set-associative, indexed by XXH3-64 of the
// key. A hit compares the key bytes, so a hash collision only costs a miss. Entries carry the shard-table
// epoch they were routed under; after a reshard the cached MD5 is reused and only the shard lookup is redone.
// 4096 entries: a feed of a few thousand symbols is served without MD5 in steady state.
#pragma once

#include "common/xxh3.hpp"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "shmstream/hash_key.hpp"

namespace shmstream::detail {

class KeyCache {
 public:
  static constexpr uint32_t kWays = 2;
  static constexpr uint32_t kSets = 2048;
  static constexpr uint32_t kMaxCachedKeyBytes = 64;  // longer keys are hashed every time

  struct Slot {
    uint64_t key_hash = 0;
    uint64_t epoch = ~uint64_t{0};
    HashKey hash_key = 0;
    uint32_t shard_index = 0;
    uint16_t key_length = 0;  // 0 = empty slot (partition keys are never empty)
    char key[kMaxCachedKeyBytes];
  };

  KeyCache() : slots_(std::make_unique<Slot[]>(kSets * kWays)), newest_way_(std::make_unique<uint8_t[]>(kSets)) {}

  // The slot holding `key` (hit), or the one to replace with it (the set's least recently used way).
  Slot& lookup(std::string_view key, uint64_t& key_hash, bool& hit) noexcept {
    key_hash = xxh3_64(key.data(), key.size());
    const uint32_t set = static_cast<uint32_t>(key_hash & (kSets - 1));
    Slot* ways = &slots_[set * kWays];
    for (uint8_t way = 0; way < kWays; ++way) {
      Slot& slot = ways[way];
      if (slot.key_length == key.size() && slot.key_hash == key_hash && same_bytes(slot.key, key)) {
        newest_way_[set] = way;
        hit = true;
        return slot;
      }
    }
    hit = false;
    return ways[newest_way_[set] ^ 1];
  }

  static bool cacheable(std::string_view key) noexcept { return key.size() <= kMaxCachedKeyBytes; }

  void fill(Slot& slot, std::string_view key, uint64_t key_hash, HashKey hash_key, uint32_t shard_index,
            uint64_t epoch) noexcept {
    slot.key_hash = key_hash;
    slot.key_length = static_cast<uint16_t>(key.size());
    std::memcpy(slot.key, key.data(), key.size());
    slot.hash_key = hash_key;
    slot.shard_index = shard_index;
    slot.epoch = epoch;
    const auto index = static_cast<uint32_t>(&slot - slots_.get());
    newest_way_[index / kWays] = static_cast<uint8_t>(index % kWays);
  }

  // memcmp of a short key without a library call: word loads, the last one overlapping the one before
  // rather than reading past the key.
  static bool same_bytes(const char* cached, std::string_view key) noexcept {
    const char* data = key.data();
    const size_t length = key.size();
    if (length >= 8) {
      for (size_t offset = 0; offset + 8 < length; offset += 8) {
        if (!same_word<uint64_t>(cached + offset, data + offset)) return false;
      }
      return same_word<uint64_t>(cached + length - 8, data + length - 8);
    }
    if (length >= 4) {
      return same_word<uint32_t>(cached, data) && same_word<uint32_t>(cached + length - 4, data + length - 4);
    }
    for (size_t i = 0; i < length; ++i) {
      if (cached[i] != data[i]) return false;
    }
    return true;
  }

 private:
  template <typename Word>
  static bool same_word(const char* a, const char* b) noexcept {
    Word x;
    Word y;
    std::memcpy(&x, a, sizeof x);
    std::memcpy(&y, b, sizeof y);
    return x == y;
  }

  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<uint8_t[]> newest_way_;  // per set: the way used last
};

}  // namespace shmstream::detail
