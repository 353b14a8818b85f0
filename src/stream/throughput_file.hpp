// <stream>/throughput.state (layout/shard_throughput.hpp): made when AWS-limits mode is first switched on,
// mapped by producers and readers the first time they see the mode on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "segment/mapped_region.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

inline constexpr const char* kThroughputFile = "throughput.state";

// Makes the file unless it exists: built beside it and renamed into place, so a mapper never sees half of
// one. The caller holds the stream's flock. Throws Error.
void ensure_throughput_file(const std::string& stream_directory, uint32_t shard_capacity, uint32_t file_mode);

// Maps the file read-write after validate_throughput_state. noexcept: runs on the first throttled put.
Status map_throughput_file(const std::string& stream_directory, uint32_t shard_capacity, MappedRegion& region) noexcept;

// Size, magic, version and capacity of a mapped image (fuzzed).
Status validate_throughput_state(const uint8_t* image, size_t size, uint32_t shard_capacity) noexcept;

}  // namespace shmstream::detail
