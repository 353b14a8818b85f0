#include "micro_support.hpp"

#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace micro {
namespace {

struct ScratchRoot {
  ScratchRoot() {
    // SHMSTREAM_MICRO_DIR: another tmpfs, e.g. one mounted with huge=advise (docs/OPERATIONS.md).
    const char* parent = ::getenv("SHMSTREAM_MICRO_DIR");
    std::string pattern = std::string(parent != nullptr ? parent : "/dev/shm") + "/shmstream-micro-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp of " + pattern + " failed");
    path = pattern;
  }
  ~ScratchRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

std::atomic<uint64_t> stream_counter{0};

}  // namespace

const std::string& scratch_root() {
  static ScratchRoot root;  // destroyed at normal exit, after every benchmark ran
  return root.path;
}

std::shared_ptr<shmstream::Stream> fresh_stream(uint32_t shards, uint64_t segment_size, uint64_t retention_bytes) {
  // relaxed: only uniqueness matters.
  const std::string name = "bench-" + std::to_string(stream_counter.fetch_add(1, std::memory_order_relaxed));
  shmstream::StreamOptions options;
  options.shard_count = shards;
  options.segment_size = segment_size;
  options.retention_bytes = retention_bytes;
  auto stream = shmstream::Stream::create(name, options, scratch_root());
  // Remove the files when the benchmark drops the stream: a long append run would otherwise fill /dev/shm.
  return std::shared_ptr<shmstream::Stream>(stream.get(), [keep = stream, name](shmstream::Stream*) mutable {
    keep.reset();
    shmstream::Stream::remove(name, scratch_root());
  });
}

std::string payload(size_t bytes) {
  std::string data(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>('a' + i % 26);
  return data;
}

std::vector<std::string> distinct_keys(size_t count, size_t length) {
  std::vector<std::string> keys;
  keys.reserve(count);
  char buffer[32];
  for (size_t i = 0; i < count; ++i) {
    std::snprintf(buffer, sizeof buffer, "key-%012zu", i);
    std::string key(buffer);
    key.resize(length, 'x');
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace micro
