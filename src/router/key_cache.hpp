// Per-producer partition key -> (hash key, shard) cache, direct-mapped by XXH3-64 of the key. A hit compares
// the key bytes, so a hash collision only costs a miss. Entries carry the shard-table epoch they were routed
// under; after a reshard the cached MD5 is reused and only the shard lookup is redone.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "shmstream/hash_key.hpp"

namespace shmstream::detail {

class KeyCache {
 public:
  static constexpr uint32_t kSlots = 1024;
  static constexpr uint32_t kMaxCachedKeyBytes = 64;  // longer keys are hashed every time

  struct Slot {
    uint64_t key_hash = 0;
    uint64_t epoch = ~uint64_t{0};
    HashKey hash_key = 0;
    uint32_t shard_index = 0;
    uint16_t key_length = 0;  // 0 = empty slot (partition keys are never empty)
    char key[kMaxCachedKeyBytes];
  };

  KeyCache() : slots_(std::make_unique<Slot[]>(kSlots)) {}

  // The slot `key` lives in; `hit` says whether it holds exactly this key.
  Slot& lookup(std::string_view key, uint64_t& key_hash, bool& hit) noexcept {
    key_hash = XXH3_64bits(key.data(), key.size());
    Slot& slot = slots_[key_hash & (kSlots - 1)];
    hit = slot.key_length == key.size() && slot.key_hash == key_hash &&
          std::memcmp(slot.key, key.data(), key.size()) == 0;
    return slot;
  }

  static bool cacheable(std::string_view key) noexcept { return key.size() <= kMaxCachedKeyBytes; }

  static void fill(Slot& slot, std::string_view key, uint64_t key_hash, HashKey hash_key, uint32_t shard_index,
                   uint64_t epoch) noexcept {
    slot.key_hash = key_hash;
    slot.key_length = static_cast<uint16_t>(key.size());
    std::memcpy(slot.key, key.data(), key.size());
    slot.hash_key = hash_key;
    slot.shard_index = shard_index;
    slot.epoch = epoch;
  }

 private:
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace shmstream::detail
