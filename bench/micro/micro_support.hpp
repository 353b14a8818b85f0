// Shared by the micro benchmarks: a private $SHMSTREAM_ROOT under /dev/shm for the whole process (removed at
// exit, even when a benchmark fails), fresh stream names, and deterministic payloads and keys.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shmstream/stream.hpp"

namespace micro {

// The process-wide scratch root, created on first use.
const std::string& scratch_root();

// A new stream under the scratch root; deleted (files and all) when the last handle goes.
std::shared_ptr<shmstream::Stream> fresh_stream(uint32_t shards, uint64_t segment_size, uint64_t retention_bytes);

std::string payload(size_t bytes);
std::vector<std::string> distinct_keys(size_t count, size_t length);

}  // namespace micro
