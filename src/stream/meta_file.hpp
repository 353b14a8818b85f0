// stream.meta: the initial image written by CreateStream, and the validation every opener runs (fuzzed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shmstream/status.hpp"

namespace shmstream::detail {

struct MetaParameters {
  std::string name;
  uint32_t shard_count = 1;
  uint32_t shard_capacity = 0;
  uint64_t segment_size = 0;
  int64_t retention_ns = 0;
  uint64_t retention_bytes = 0;
  uint32_t file_mode = 0600;
  uint32_t frame_flags = 0;  // layout::kFlagChecksum or 0
  uint32_t stream_mode = 0;  // layout::StreamModeCode
  int64_t creation_ns = 0;
  uint8_t uuid[16] = {};
};

uint64_t meta_file_size(uint32_t shard_capacity) noexcept;

// Writes header and the shard table of an evenly split stream into `image` (zeroed, meta_file_size bytes);
// everything but the magic word, which the creator stores last.
void write_initial_meta(uint8_t* image, const MetaParameters& parameters);

// Every check an opener needs before trusting the mapping: sizes, magic, version, name, shard table.
Status validate_stream_meta(const uint8_t* image, size_t size) noexcept;

}  // namespace shmstream::detail
