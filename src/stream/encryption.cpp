// Start and stop of stream encryption (control path, under the stream's flock; docs/DESIGN.md §8).
#include <climits>
#include <cstdlib>
#include <atomic>
#include <cstring>
#include <ctime>

#include "crypto/key_store.hpp"
#include "shmstream/stream.hpp"
#include "stream/file_lock.hpp"
#include "stream/stream_state.hpp"

namespace shmstream {
namespace {

void check_encryption_type(std::string_view encryption_type) {
  if (encryption_type != "KMS") {
    throw Error(StatusCode::kInvalidArgument,
                "1 validation error detected: Value '" + std::string(encryption_type) +
                    "' at 'encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [KMS]");
  }
}

void check_key_id(std::string_view key_id) {
  if (key_id.empty() || key_id.size() > layout::kMaxKeyIdLength) {
    throw Error(StatusCode::kInvalidArgument,
                "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must have length "
                "between 1 and " + std::to_string(layout::kMaxKeyIdLength) + " (shmstream stores key ids up to that)");
  }
}

// The key directory as an absolute path, for users who look for the key there (stream_keys.hpp).
std::string absolute(const std::string& directory) {
  char resolved[PATH_MAX];
  return ::realpath(directory.c_str(), resolved) != nullptr ? std::string(resolved) : directory;
}

// The start, stop and the epoch bump that makes every producer re-read them (docs/DESIGN.md §8). relaxed
// stores of the fields: the release stores that follow publish them.
void store_key_id(layout::StreamHeader& header, std::string_view key_id) {
  std::memset(header.key_id, 0, sizeof header.key_id);
  std::memcpy(header.key_id, key_id.data(), key_id.size());
}

// The key id and encryption type are rewritten inside a seqlock (stream.meta key id sequence) so describe
// never shows a half-written key id; writers are serialised by the stream lock.
void begin_key_id_change(layout::StreamHeader& header) {
  // relaxed + release fence: the odd value is ordered before the field stores that follow.
  header.key_id_sequence.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}
void end_key_id_change(layout::StreamHeader& header) {
  header.key_id_sequence.fetch_add(1, std::memory_order_release);  // release: the fields before the even value
}

// Generation g takes the slot of generation g - 32, whose records were put until generation g - 31 started.
// Reusing the slot makes those records unreadable, so it waits until they are past the retention period.
void check_slot_reusable(const layout::StreamHeader& header, uint32_t generation, const std::string& stream) {
  constexpr uint32_t kSlots = layout::kKeyGenerationSlots;
  if (generation <= kSlots) return;
  const layout::KeyGeneration& successor = header.key_generations[(generation - kSlots + 1) % kSlots];
  if (successor.started_seconds == 0) return;  // started by a layout 2.2 library: unknown
  // relaxed: the retention is a setting read under the stream lock, like the generations.
  const int64_t retention_seconds = (header.retention_ns.load(std::memory_order_relaxed) + 999'999'999) / 1'000'000'000;
  const int64_t reusable_at = int64_t{successor.started_seconds} + retention_seconds;
  const int64_t now = ::time(nullptr);
  if (now >= reusable_at) return;
  throw Error(StatusCode::kLimitExceeded,
              "Stream " + stream + " keeps the keys of its last " + std::to_string(kSlots) +
                  " key generations, and records of generation " + std::to_string(generation - kSlots) +
                  " may still be retained until " + std::to_string(reusable_at - now) +
                  " seconds from now: start encryption again after that (docs/SECURITY.md)");
}

}  // namespace

void Stream::start_encryption(std::string_view encryption_type, std::string_view key_id) {
  check_encryption_type(encryption_type);
  check_key_id(key_id);
  detail::KeyStore keys;
  detail::KeyUuid uuid;
  (void)keys.usable_key(key_id, uuid);  // KMSNotFound / KMSAccessDenied / KMSDisabled: nothing changes
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  layout::StreamHeader& header = state_->header();
  if (header.status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::StreamStatus::kDeleting)) {
    throw Error(StatusCode::kResourceNotFound, "Stream " + name() + " is being deleted");
  }
  // relaxed: generations change only under the stream lock, which we hold.
  const uint32_t generation = header.key_generation.load(std::memory_order_relaxed) + 1;
  if (generation == 0) throw Error(StatusCode::kLimitExceeded, "the stream's key generations are used up");
  check_slot_reusable(header, generation, name());
  begin_key_id_change(header);
  layout::KeyGeneration& slot = header.key_generations[generation % layout::kKeyGenerationSlots];
  slot.generation = generation;
  slot.started_seconds = static_cast<uint32_t>(::time(nullptr));
  std::memcpy(slot.key_uuid, uuid.data(), uuid.size());
  const std::string directory = absolute(keys.directory());
  std::memset(header.key_directory, 0, sizeof header.key_directory);
  if (directory.size() <= layout::kMaxKeyDirectoryLength) {
    std::memcpy(header.key_directory, directory.data(), directory.size());
  }
  store_key_id(header, key_id);
  // release: a producer or reader that sees the generation (acquire) sees its slot and the key id.
  header.key_generation.store(generation, std::memory_order_release);
  header.encryption_type.store(static_cast<uint32_t>(layout::EncryptionType::kKms), std::memory_order_release);
  end_key_id_change(header);
  // release: producers re-read the encryption state when the epoch moves (their acquire load per put).
  header.shard_table_epoch.fetch_add(1, std::memory_order_release);
}

void Stream::stop_encryption(std::string_view encryption_type, std::string_view key_id) {
  check_encryption_type(encryption_type);
  check_key_id(key_id);
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  layout::StreamHeader& header = state_->header();
  begin_key_id_change(header);
  // release: as in the start.
  header.encryption_type.store(static_cast<uint32_t>(layout::EncryptionType::kNone), std::memory_order_release);
  store_key_id(header, "");
  end_key_id_change(header);
  header.shard_table_epoch.fetch_add(1, std::memory_order_release);  // release: as in the start
}

void Stream::describe_encryption(StreamInfo& info) const {
  const layout::StreamHeader& header = state_->header();
  for (;;) {
    // acquire: pairs with the end of a change (release); an odd sequence is a change in progress.
    const uint32_t sequence = header.key_id_sequence.load(std::memory_order_acquire);
    if ((sequence & 1) != 0) continue;
    const bool encrypted =
        header.encryption_type.load(std::memory_order_relaxed) == static_cast<uint32_t>(layout::EncryptionType::kKms);
    info.key_generation = header.key_generation.load(std::memory_order_relaxed);
    info.key_id.assign(header.key_id, strnlen(header.key_id, sizeof header.key_id));
    std::atomic_thread_fence(std::memory_order_acquire);  // acquire: the copies above before the re-check
    // relaxed: ordered by the fence; a changed sequence means the copy may be torn.
    if (header.key_id_sequence.load(std::memory_order_relaxed) != sequence) continue;
    info.encryption_type = encrypted ? "KMS" : "NONE";
    if (!encrypted) info.key_id.clear();
    return;
  }
}

}  // namespace shmstream
